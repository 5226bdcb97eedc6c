// When a build is stale: its stamp file is older than the newest of its sources.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newest(file) {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of fs.readdirSync(file)) {
    if (entry === 'dist' || entry === 'node_modules') continue;
    latest = Math.max(latest, newest(path.join(file, entry)));
  }
  return latest;
}

/** True when `stamp` exists and is newer than every file under `sources` (paths relative to the root). */
export function isFresh(stamp, sources) {
  const stampFile = path.join(root, stamp);
  if (!fs.existsSync(stampFile)) return false;
  const latest = Math.max(...sources.map((source) => newest(path.join(root, source))));
  return fs.statSync(stampFile).mtimeMs >= latest;
}

/** The server's compiled build (dist/), made by bin/build-server.mjs and run by bin/rectify. */
export const serverBuild = {
  stamp: 'dist/.built',
  sources: ['server', 'workflows', 'db', 'notifications', 'storage', 'core', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
};

/** The web workbench (web/dist), made by bin/build-web.mjs and served by the server. */
export const webBuild = { stamp: 'web/dist/index.html', sources: ['web', 'package-lock.json'] };
