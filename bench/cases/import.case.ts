import type { Viewer } from '../../db/repositories/scope.js';
import type { Services } from '../../server/services.js';
import { randomBytes } from 'node:crypto';
import { createAuditChain } from '../../db/audit-chain.js';
import { dueAtForDeadline } from '../../workflows/deadlines/deadlines.js';
import type { RawSql } from '../bench-database.js';
import type { Figure } from '../report.js';
import { generateFindingsCsv } from '../seed/findings-csv.js';
import type { BenchOrganisation } from '../seed/organisation.js';
import { round, timed } from '../stats.js';
import { withCpu } from '../cpu-usage.js';
import { targets } from '../profile.js';

export const inspectionFields = (shortCode: string, issuingUnitCode: string) => ({
  title: `示范省政府网站与政务新媒体检查情况通报（${shortCode}）`,
  documentNumber: `示政务办发〔2021〕${shortCode}号`,
  shortCode,
  issuedOn: '2021-06-17',
  samplingFrom: '2021-05-26',
  samplingTo: '2021-06-09',
  feedbackDeadline: '2021-06-25',
  issuingUnitCode,
});

// Rows per statement in the baseline: unnest takes one array per column, so the limit is size, not parameters.
const BASELINE_CHUNK = 10_000;

export interface ImportCaseResult {
  figures: Figure[];
  /** The imported inspection (ours) and the baseline's. */
  oursInspectionId: number;
  baselineInspectionId: number;
  details: Record<string, unknown>;
}

/**
 * 附件3 as a CSV of `count` rows through `services.findingsImport.importFindings` (decode, parse,
 * resolve units, then targets, findings, problems, tickets, ISSUE events and outbox rows in one
 * transaction); then the same rows, under other account names, with hand-written
 * `INSERT … SELECT FROM unnest(…)` in one transaction on the pg client.
 */
export async function runImportCase({
  services,
  raw,
  org,
  supervisor,
  count,
  meterPostgres,
}: {
  services: Services;
  raw: RawSql;
  org: BenchOrganisation;
  supervisor: Viewer;
  count: number;
  /** The raw handle when PostgreSQL runs on this machine, to count its CPU; undefined on PGlite. */
  meterPostgres: RawSql | undefined;
}): Promise<ImportCaseResult> {
  const ours = await services.inspectionsService.create({ fields: inspectionFields('IMP-A', org.office.code), actor: supervisor });
  const { csv } = generateFindingsCsv(org.units, count);
  const bytes = Buffer.from(csv, 'utf8');
  const rssBefore = process.memoryUsage().rss;
  // Each side starts on a clean checkpoint: otherwise one side's writes set off a checkpoint that
  // the other pays for, which moved the ratio by a fifth between runs of the same code.
  await raw.query('checkpoint');
  const {
    result: { result, seconds },
    cpuSeconds,
  } = await withCpu(meterPostgres, () =>
    timed(() => services.findingsImport.importFindings({ inspectionId: ours.id, viewer: supervisor, source: { bytes, contentType: 'text/csv', filename: '附件3.csv' } })),
  );
  if (result.created !== count) throw new Error(`import created ${result.created} tickets, expected ${count}`);
  // The lifetime peak so far: the import is the first thing this process does at scale.
  const importPeakRssMb = process.resourceUsage().maxRSS / 1024;

  const baselineInspection = await services.inspectionsService.create({ fields: inspectionFields('IMP-B', org.office.code), actor: supervisor });
  await raw.query('checkpoint');
  const { result: baseline, cpuSeconds: baselineCpuSeconds } = await withCpu(meterPostgres, () => importBaseline(raw, ours.id, baselineInspection.id, supervisor));
  if (baseline.created !== count) throw new Error(`baseline created ${baseline.created} tickets, expected ${count}`);

  return {
    oursInspectionId: ours.id,
    baselineInspectionId: baselineInspection.id,
    figures: [
      {
        case: `import ${count.toLocaleString('en-US')} findings`,
        metric: 'throughput',
        unit: 'findings/s',
        ours: Math.round(count / seconds),
        baseline: Math.round(count / baseline.seconds),
        target: { value: targets.importRatio, better: 'higher', of: 'ratio' },
        note: 'CSV (附件3 columns) through findingsImport.importFindings: tickets, ISSUE events and outbox rows included',
      },
    ],
    details: {
      csvBytes: bytes.length,
      oursSeconds: seconds,
      oursCpuSeconds: cpuSeconds,
      baselineSeconds: baseline.seconds,
      baselineSecondsByTable: baseline.secondsByTable,
      // Includes reading our rows back (untimed) to replay them.
      baselineCpuSeconds,
      importPeakRssMb: Math.round(importPeakRssMb),
      rssBeforeImportMb: Math.round(rssBefore / 1024 / 1024),
    },
  };
}

interface SourceRow extends Record<string, unknown> {
  source_row: number;
  kind: string;
  platform: string | null;
  name: string;
  url: string | null;
  owner_unit_id: number;
  county: string | null;
  unit_id: number;
  outstanding: boolean;
  last_updated_on: string | null;
  note: string | null;
  problems_text: string;
  codes: string[];
  texts: string[];
}

/**
 * The baseline replays the rows our import stored (read back untimed, account names changed so
 * that new targets are written too) and times only the transaction that writes them.
 */
async function importBaseline(
  raw: RawSql,
  fromInspectionId: number,
  inspectionId: number,
  supervisor: Viewer,
): Promise<{ created: number; seconds: number; secondsByTable: Record<string, number> }> {
  const rows = await raw.query<SourceRow>(
    `select f.source_row, t.kind, t.platform, t.name || '·乙' as name, t.url, t.owner_unit_id, t.county, f.unit_id, f.outstanding,
            f.last_updated_on::text as last_updated_on, f.note, f.problems_text,
            array(select fp.problem_code from finding_problems fp where fp.finding_id = f.id order by fp.position) as codes,
            array(select fp.text from finding_problems fp where fp.finding_id = f.id order by fp.position) as texts
     from findings f join targets t on t.id = f.target_id
     where f.inspection_id = $1 order by f.source_row`,
    [fromInspectionId],
  );
  // One stored mail of ours (a unit's batch), so every baseline email carries data of the size ours do.
  const [mail] = await raw.query<{ subject: string; payload: string }>(
    `select n.subject, n.payload::text as payload from notifications n
     where n.kind = 'issued' and exists (select 1 from notification_tickets nt join tickets t on t.id = nt.ticket_id where nt.notification_id = n.id and t.inspection_id = $1)
     order by n.id limit 1`,
    [fromInspectionId],
  );
  if (!mail) throw new Error('our import queued no notification to size the baseline on');
  const [inspection] = await raw.query<{ short_code: string }>(`select short_code from inspections where id = $1`, [inspectionId]);
  const shortCode = inspection?.short_code ?? 'IMP-B';
  const dueAt = dueAtForDeadline('2021-06-25');
  const now = new Date('2021-06-18T02:00:00Z');

  // Where the database's time goes: the seconds spent in each table's inserts, summed over chunks.
  const secondsByTable: Record<string, number> = {};
  const { result: created, seconds } = await timed(() =>
    raw.transaction(async (untimed) => {
      const query = async <T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> => {
        const table = /^\s*insert into (\w+)/.exec(text)?.[1] ?? 'other';
        const { result, seconds: spent } = await timed(() => untimed<T>(text, params));
        secondsByTable[table] = round((secondsByTable[table] ?? 0) + spent, 3);
        return result;
      };
      await query(`select id from inspections where id = $1 for update`, [inspectionId]);
      const findingIdByRow = new Map<number, number>();
      const unitByRow = new Map<number, number>();
      for (const part of chunks(rows)) {
        const inserted = await query<{ id: number; name: string }>(
          `insert into targets (kind, platform, name, url, owner_unit_id, county)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[])
           on conflict (kind, platform, name, owner_unit_id) do update
             set url = coalesce(excluded.url, targets.url), county = coalesce(excluded.county, targets.county)
           returning id, name`,
          [part.map((r) => r.kind), part.map((r) => r.platform), part.map((r) => r.name), part.map((r) => r.url), part.map((r) => r.owner_unit_id), part.map((r) => r.county)],
        );
        const targetIdByName = new Map(inserted.map((t) => [t.name, t.id]));
        const findings = await query<{ id: number; source_row: number }>(
          `insert into findings (inspection_id, target_id, unit_id, outstanding, last_updated_on, note, problems_text, source_row)
           select $1, * from unnest($2::int[], $3::int[], $4::bool[], $5::date[], $6::text[], $7::text[], $8::int[])
           on conflict (inspection_id, target_id) do nothing
           returning id, source_row`,
          [
            inspectionId,
            part.map((r) => targetIdByName.get(r.name)),
            part.map((r) => r.unit_id),
            part.map((r) => r.outstanding),
            part.map((r) => r.last_updated_on),
            part.map((r) => r.note),
            part.map((r) => r.problems_text),
            part.map((r) => r.source_row),
          ],
        );
        for (const f of findings) findingIdByRow.set(f.source_row, f.id);
        for (const r of part) unitByRow.set(r.source_row, r.unit_id);
        const problems = part.flatMap((r) => r.codes.map((code, position) => ({ findingId: findingIdByRow.get(r.source_row), position, code, text: r.texts[position] ?? '' })));
        await query(
          `insert into finding_problems (finding_id, position, problem_code, text) select * from unnest($1::int[], $2::int[], $3::text[], $4::text[])`,
          [problems.map((p) => p.findingId), problems.map((p) => p.position), problems.map((p) => p.code), problems.map((p) => p.text)],
        );
      }

      const [{ n: existing } = { n: 0 }] = await query<{ n: number }>(`select count(*)::int as n from tickets where inspection_id = $1`, [inspectionId]);
      const width = Math.max(3, String(existing + rows.length).length);
      let ticketsCreated = 0;
      const chain = createAuditChain(randomBytes(32));
      for (const [index, part] of chunks(rows).entries()) {
        const numbers = part.map((_, i) => `${shortCode}-${String(existing + index * BASELINE_CHUNK + i + 1).padStart(width, '0')}`);
        const issued = await query<{ id: number; number: string; unit_id: number }>(
          `insert into tickets (number, inspection_id, finding_id, unit_id, state, due_at, due_provisional, next_action_at, created_at, updated_at)
           select number, $1, finding_id, unit_id, 'issued', $2, false, $3, $3, $3 from unnest($4::text[], $5::int[], $6::int[]) as u(number, finding_id, unit_id)
           returning id, number, unit_id`,
          [inspectionId, dueAt, now, numbers, part.map((r) => findingIdByRow.get(r.source_row)), part.map((r) => unitByRow.get(r.source_row))],
        );
        const events = issued.map(({ id, number }) => {
          const payload = { number, inspectionId };
          return { id, payload, hash: chain.link({ ticketId: id }, null, { seq: 1, type: 'ISSUE', fromState: null, toState: 'issued', actorUserId: supervisor.userId, actor: supervisor.username, at: now, payload }).hash };
        });
        await query(
          `insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor_user_id, actor, at, payload, prev_hash, hash, chain_version)
           select ticket_id, 1, 'ISSUE', null, 'issued', $1, $2, $3, payload, null, hash, 2 from unnest($4::int[], $5::jsonb[], $6::text[]) as u(ticket_id, payload, hash)`,
          [supervisor.userId, supervisor.username, now, events.map((e) => e.id), events.map((e) => JSON.stringify(e.payload)), events.map((e) => e.hash)],
        );
        // The trail's tail on each ticket, as the app's own writer records it.
        await query(`update tickets t set audit_seq = 1, audit_hash = u.hash from unnest($1::int[], $2::text[]) as u(id, hash) where t.id = u.id`, [
          events.map((e) => e.id),
          events.map((e) => e.hash),
        ]);
        ticketsCreated += issued.length;
      }
      // One issue email per unit listing all its new tickets, as ours are batched.
      const mailed = await query<{ id: number; unit_id: number }>(
        `insert into notifications (kind, unit_ids, recipients, reference, subject, payload, message_id)
         select 'issued', array[u.id], u.emails[1:1], u.code, $2, $3::jsonb, '<rectify.n.' || gen_random_uuid() || '@bench.rectify.local>'
         from units u where u.id in (select t.unit_id from tickets t where t.inspection_id = $1)
         returning id, unit_ids[1] as unit_id`,
        [inspectionId, mail.subject, mail.payload],
      );
      await query(
        `insert into notification_tickets (notification_id, ticket_id)
         select m.id, t.id from unnest($2::bigint[], $3::int[]) as m(id, unit_id) join tickets t on t.unit_id = m.unit_id and t.inspection_id = $1`,
        [inspectionId, mailed.map((m) => m.id), mailed.map((m) => m.unit_id)],
      );
      await query(`insert into audit_log (actor_user_id, action, entity, entity_key, details) values ($1, 'import_findings', 'inspection', $2, $3)`, [
        supervisor.userId,
        shortCode,
        JSON.stringify({ rows: rows.length, created: ticketsCreated }),
      ]);
      return ticketsCreated;
    }),
  );
  return { created, seconds, secondsByTable };
}

function chunks<T>(items: readonly T[], size = BASELINE_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
