import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageJson = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json');

export interface ServeCommand {
  /** What the script sets in the environment (glibc's malloc setting). */
  env: Record<string, string>;
  /** Node's own flags (the heap's settings). */
  nodeArgs: string[];
}

/**
 * How `npm start` runs the server: the last step of package.json's start script, after the build
 * steps, `NAME=value … node --flag … bin/rectify serve`. The bench starts its server the same way,
 * so what it measures is what an operator runs; a script of another shape stops the bench.
 */
export function npmStartServe(): ServeCommand {
  const { scripts } = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { scripts: Record<string, string> };
  const step = (scripts.start ?? '').split('&&').at(-1)?.trim() ?? '';
  const match = /^((?:[A-Z_][A-Z0-9_]*=\S*\s+)*)node((?:\s+--\S+)*)\s+bin\/rectify serve$/.exec(step);
  if (!match) throw new Error(`package.json's start script should end in "[NAME=value …] node [--flag …] bin/rectify serve", not "${step}"`);
  const words = (text: string | undefined) => (text ?? '').split(/\s+/).filter(Boolean);
  const env = Object.fromEntries(words(match[1]).map((assignment) => [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)]));
  return { env, nodeArgs: words(match[2]) };
}
