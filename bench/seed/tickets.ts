import type { RawSql } from '../bench-database.js';

/** Shanghai 2021-06-25 23:59:59.999: the feedback deadline of every generated inspection. */
export const DUE_AT = '2021-06-25T15:59:59.999Z';
/** From this moment escalation level 1 is due for those tickets (1 whole working day, Monday 28 June, has ended). */
export const LEVEL_ONE_DUE_FROM = '2021-06-28T16:00:00.000Z';

export type SeededKind =
  /** Issued, overdue, and scheduled: the sweep's work. */
  | 'due'
  /** Issued and overdue like `due`, but unscheduled (next_action_at null): the sweep baseline's work. */
  | 'due-unscheduled'
  /** Every state, due times a year either side of today, scheduled well after the sweep's moment. */
  | 'mixed';

/**
 * Adds an inspection with `size` tickets straight in SQL (`generate_series`-style INSERT … SELECT),
 * each with its finding (on the targets the import created: targets are reused across
 * inspections), one problem and its ISSUE event. Seeding is not measured; the statements only
 * have to be quick and the rows shaped like the application's.
 */
export async function seedInspection(
  raw: RawSql,
  { shortCode, issuingUnitId, fromInspectionId, size, kind }: { shortCode: string; issuingUnitId: number; fromInspectionId: number; size: number; kind: SeededKind },
): Promise<number> {
  const [inspection] = await raw.query<{ id: number }>(
    `insert into inspections (short_code, title, document_number, issued_on, sampling_from, sampling_to, feedback_deadline, issuing_unit_id, policy)
     values ($1, $2, $3, '2021-06-17', '2021-05-26', '2021-06-09', '2021-06-25', $4,
             '{"remindBeforeWorkingDays":[3,1],"escalateAfterWorkingDays":1,"escalateEveryWorkingDays":3,"maxLevel":3,"verifyWithinWorkingDays":5}')
     returning id`,
    [shortCode, `示范省检查情况通报（${shortCode}）`, `示政务办发〔2021〕${shortCode}号`, issuingUnitId],
  );
  if (!inspection) throw new Error('inspection insert returned nothing');
  const id = inspection.id;
  await raw.query(
    `insert into findings (inspection_id, target_id, unit_id, outstanding, problems_text, source_row, created_at)
     select $1, t.id, t.owner_unit_id, true, '互动回应差', row_number() over (order by t.id) + 1, $4
     from (select f.target_id as id, f.unit_id as owner_unit_id from findings f where f.inspection_id = $2 order by f.target_id limit $3) t`,
    [id, fromInspectionId, size, '2021-06-18T02:00:00Z'],
  );
  await raw.query(
    `insert into finding_problems (finding_id, position, problem_code, text)
     select f.id, 0, 'poor_interaction', '互动回应差' from findings f where f.inspection_id = $1`,
    [id],
  );

  const width = Math.max(3, String(size).length);
  // Mixed: 40 % issued, 25 % acknowledged, 15 % rectified, 15 % verified, 5 % withdrawn; due times spread
  // over the year before and after today (whole seconds: API cursors carry milliseconds); one overdue open ticket in seven already escalated.
  await raw.query(
    `insert into tickets (number, inspection_id, finding_id, unit_id, state, due_at, escalation_level, version, next_action_at,
                          created_at, updated_at, acknowledged_at, rectified_at, closed_at)
     select $2 || '-' || lpad(s.n::text, ${width}, '0'), $1, s.fid, s.unit_id, x.state, x.due_at,
            case when $5 = 'mixed' and x.state in ('issued', 'acknowledged') and x.due_at < now() and s.fid % 7 = 0 then 1 + s.fid % 3 else 0 end,
            case x.state when 'issued' then 1 when 'acknowledged' then 2 when 'rectified' then 3 else 4 end,
            case
              when $5 = 'due' then $4::timestamptz
              when $5 = 'due-unscheduled' or x.state in ('verified', 'withdrawn') then null
              else greatest(x.due_at - interval '3 days', '2021-07-10'::timestamptz)
            end,
            '2021-06-18T02:00:00Z', '2021-06-18T02:00:00Z',
            case when x.state <> 'issued' then timestamptz '2021-06-19T02:00:00Z' end,
            case when x.state in ('rectified', 'verified') then timestamptz '2021-06-20T02:00:00Z' end,
            case when x.state in ('verified', 'withdrawn') then timestamptz '2021-06-21T02:00:00Z' end
     from (select f.id as fid, f.unit_id, f.source_row - 1 as n, (f.id * 7) % 20 as r from findings f where f.inspection_id = $1) s
     cross join lateral (
       select
         case
           when $5 <> 'mixed' then 'issued'
           when s.r < 8 then 'issued' when s.r < 13 then 'acknowledged' when s.r < 16 then 'rectified' when s.r < 19 then 'verified'
           else 'withdrawn'
         end as state,
         case when $5 = 'mixed' then date_trunc('second', now()) - interval '365 days' + ((s.fid::bigint * 7919) % 730) * interval '1 day' else $3::timestamptz end as due_at
     ) x`,
    [id, shortCode, DUE_AT, LEVEL_ONE_DUE_FROM, kind],
  );
  await raw.query(
    `insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, payload, hash, chain_version)
     select t.id, 1, 'ISSUE', null, 'issued', 'bench-seed', t.created_at, jsonb_build_object('number', t.number, 'inspectionId', t.inspection_id),
            encode(sha256(convert_to(t.number, 'UTF8')), 'hex'), 2
     from tickets t where t.inspection_id = $1`,
    [id],
  );
  // The trail's tail, as the app's writer records it: the events the app appends to seeded tickets chain from here.
  await raw.query(`update tickets t set audit_seq = 1, audit_hash = encode(sha256(convert_to(t.number, 'UTF8')), 'hex') where t.inspection_id = $1`, [id]);
  return id;
}
