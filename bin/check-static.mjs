// `npm test`'s static checks: the server's typecheck, the workbench's and eslint, side by side
// (each is one thread; run one after the other they took longer than half the suite). Each
// check's output is printed whole when it ends; the exit code is non-zero when any failed.
import { spawn } from 'node:child_process';

const checks = [
  ['typecheck (server, tests, bench)', 'tsc', ['--noEmit']],
  ['typecheck (web)', 'vue-tsc', ['--noEmit', '-p', 'web/tsconfig.json']],
  ['eslint', 'eslint', ['.']],
];

const results = await Promise.all(
  checks.map(
    ([name, command, args]) =>
      new Promise((resolve) => {
        const child = spawn('npx', ['--no-install', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('close', (code) => {
          process.stdout.write(`== ${name}: ${code === 0 ? 'passed' : `failed (exit ${code})`}\n${output}`);
          resolve(code === 0);
        });
      }),
  ),
);
process.exit(results.every(Boolean) ? 0 : 1);
