// Summarises a V8 .cpuprofile (from `node --cpu-prof`, or BENCH_CPU_PROF=<dir> npm run bench):
// self time by function and by package or source folder, so a bench figure can be explained
// with evidence. Usage: node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top]

import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** node_modules/<package> (scoped packages included), a folder of this repository, or the runtime. */
function areaOf(url: string): string {
  if (!url) return '(runtime: GC, idle, native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1] ?? url;
  if (url.startsWith('node:')) return 'node: (core)';
  const local = url.replace(/^file:\/\//, '');
  const relative = path.relative(process.cwd(), local);
  return relative.startsWith('..') ? local : relative.split(path.sep).slice(0, 2).join('/');
}

function main(): void {
  const [file, topText] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(topText ?? '25');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;

  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const area = areaOf(url);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const print = (title: string, rows: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, us] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${name}`);
    }
  };
  console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s profiled`);
  print('self time by package or folder', byArea);
  print('self time by function', byFunction);
}

main();
