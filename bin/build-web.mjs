#!/usr/bin/env node
// Builds the web workbench into web/dist. With --if-stale it does nothing when web/dist is newer
// than every source file of web/ and the lock file, so `npm start` costs nothing after the first build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const stamp = path.join(web, 'dist', 'index.html');

function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

if (process.argv.includes('--if-stale') && fs.existsSync(stamp)) {
  const sources = Math.max(newest(web), fs.statSync(path.join(root, 'package-lock.json')).mtimeMs);
  if (fs.statSync(stamp).mtimeMs >= sources) process.exit(0);
}
console.log('Building the web workbench (web/dist)…');
const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const result = spawnSync(process.execPath, [vite, 'build', web, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
