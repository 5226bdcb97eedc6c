#!/usr/bin/env node
// Builds the web workbench into web/dist. With --if-stale it does nothing when web/dist is newer
// than every source file of web/ and the lock file, so `npm start` costs nothing after the first build.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { isFresh, root, webBuild } from './freshness.mjs';

if (process.argv.includes('--if-stale') && isFresh(webBuild.stamp, webBuild.sources)) process.exit(0);
console.log('Building the web workbench (web/dist)…');
const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const result = spawnSync(process.execPath, [vite, 'build', path.join(root, 'web'), '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
