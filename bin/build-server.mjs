#!/usr/bin/env node
// Compiles the server into dist/ (tsc), so `npm start` runs JavaScript without a TypeScript loader.
// With --if-stale it does nothing when dist/ is newer than every source. The build carries the
// migrations, which the server applies at start.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isFresh, root, serverBuild } from './freshness.mjs';

if (process.argv.includes('--if-stale') && isFresh(serverBuild.stamp, serverBuild.sources)) process.exit(0);
console.log('Compiling the server (dist)…');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
fs.cpSync(path.join(root, 'db', 'migrations'), path.join(dist, 'db', 'migrations'), { recursive: true });
fs.writeFileSync(path.join(root, serverBuild.stamp), `${new Date().toISOString()}\n`);
