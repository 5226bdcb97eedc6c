import fs from 'node:fs';
import os from 'node:os';
import { round } from './stats.js';

/** One line of the table: our figure, the raw-SQL baseline's, and the target when the issue sets one. */
export interface Figure {
  case: string;
  metric: string;
  unit: string;
  ours: number;
  baseline: number | null;
  /** `of: 'ratio'`: the target is on ours ÷ baseline, not on our figure. */
  target?: { value: number; better: 'higher' | 'lower'; of?: 'figure' | 'ratio' };
  /** What the figure covers, for the README and results.json. */
  note?: string;
}

export interface Machine {
  cpus: { model: string; speedMHz: number }[];
  cpuCount: number;
  memoryGB: number;
  platform: string;
  release: string;
  node: string;
  database: { kind: 'postgres' | 'pglite'; version: string; settings?: Record<string, string> };
}

export function describeMachine(database: Machine['database']): Machine {
  return {
    cpus: os.cpus().map((c) => ({ model: c.model, speedMHz: c.speed })),
    cpuCount: os.cpus().length,
    memoryGB: round(os.totalmem() / 1024 ** 3, 1),
    platform: os.platform(),
    release: os.release(),
    node: process.version,
    database,
  };
}

export function ratioOf(figure: Figure): number | null {
  return figure.baseline === null || figure.baseline === 0 ? null : round(figure.ours / figure.baseline, 2);
}

export function meets(figure: Figure): boolean | null {
  if (!figure.target) return null;
  const value = figure.target.of === 'ratio' ? ratioOf(figure) : figure.ours;
  if (value === null) return null;
  return figure.target.better === 'higher' ? value >= figure.target.value : value <= figure.target.value;
}

function show(x: number | null): string {
  if (x === null || Number.isNaN(x)) return '—';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** The results as a Markdown table (printed, and pasted into README's "Performance"). */
export function markdownTable(figures: readonly Figure[]): string {
  const header = ['case', 'metric', 'ours', 'raw-SQL baseline', 'ours ÷ baseline', 'target', 'met'];
  const rows = figures.map((f) => {
    const met = meets(f);
    const target = f.target ? `${f.target.of === 'ratio' ? '÷ ' : ''}${f.target.better === 'higher' ? '≥' : '≤'} ${show(f.target.value)}` : '';
    return [f.case, `${f.metric} (${f.unit})`, show(f.ours), show(f.baseline), show(ratioOf(f)), target, met === null ? '' : met ? 'yes' : '**no**'];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export interface RunResults {
  profile: 'postgres' | 'pglite';
  startedAt: string;
  durationS: number;
  machine: Machine;
  figures: readonly Figure[];
  details: Record<string, unknown>;
}

/** Keeps one entry per profile, so a PGlite run does not erase the PostgreSQL figures and vice versa. */
export function writeResults(file: string, run: RunResults): void {
  let existing: Record<string, unknown> = {};
  try {
    existing = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    existing = {};
  }
  const figures = run.figures.map((f) => ({ ...f, ratio: ratioOf(f), met: meets(f) }));
  fs.writeFileSync(file, `${JSON.stringify({ ...existing, [run.profile]: { ...run, figures } }, null, 2)}\n`);
}
