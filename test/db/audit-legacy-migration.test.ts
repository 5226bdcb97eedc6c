import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { migrate, migrationsFolder } from '../../db/migrate.js';
import { createFolderFileStore } from '../../storage/folder.driver.js';
import { loadAuditKey } from '../../server/audit-key.js';
import { createServices, type Services } from '../../server/services.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { unkeyedHash, type EventRow } from '../helpers/unkeyed-chain.js';

/**
 * A database with a trail written before the audit key (migrations up to 0013, rows hashed with
 * plain SHA-256) brought up to date: migration 0014 marks those rows chain version 1 and records each
 * ticket's tail; verify still reads them, new events chain on under the key, and an edit of an old
 * row is still found.
 */

let database: TestDatabase;
let services: Services;
const ids = { acknowledged: 0, issued: 0 };

/** The committed migrations up to and including `last`, in a folder of their own. */
function migrationsUpTo(last: number): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-migrations-'));
  fs.cpSync(migrationsFolder, folder, { recursive: true });
  const journalFile = path.join(folder, 'meta/_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx <= last);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return folder;
}

beforeAll(async () => {
  database = await createTestDatabase({ migrated: false });
  const before = migrationsUpTo(13);
  await database.applyMigrations(before);
  fs.rmSync(before, { recursive: true, force: true });
  const rows = <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) => queryRows<T>(query, database.db);
  const [unit] = await rows<{ id: number }>(sql`insert into units (code, name, kind, path) values ('YY-JTJ', '益阳市交通运输局', 'city_department', '/1/') returning id`);
  const [inspection] = await rows<{ id: number }>(
    sql`insert into inspections (short_code, title, issued_on, issuing_unit_id, policy, feedback_deadline) values ('Y2021', '2021年第二季度检查', '2021-06-18', ${unit?.id}, '{}'::jsonb, '2021-06-25') returning id`,
  );
  for (const [name, state] of [['益阳交通', 'acknowledged'], ['益阳公路', 'issued']] as const) {
    const [target] = await rows<{ id: number }>(sql`insert into targets (kind, platform, name) values ('new_media', 'wechat_subscription', ${name}) returning id`);
    const [finding] = await rows<{ id: number }>(sql`insert into findings (inspection_id, target_id, unit_id, problems_text) values (${inspection?.id}, ${target?.id}, ${unit?.id}, '互动回应差') returning id`);
    const [ticket] = await rows<{ id: number; number: string }>(
      sql`insert into tickets (number, inspection_id, finding_id, unit_id, state, due_at) values (${`Y2021-00${state === 'issued' ? 2 : 1}`}, ${inspection?.id}, ${finding?.id}, ${unit?.id}, ${state}, '2021-06-25T15:59:59Z') returning id, number`,
    );
    const id = ticket?.id ?? 0;
    ids[state] = id;
    const events = [
      { ticket_id: id, seq: 1, type: 'ISSUE', from_state: null, to_state: 'issued', actor_user_id: null, actor: 'import', at: '2021-06-18T02:00:00.000Z', payload: { number: ticket?.number } },
      ...(state === 'acknowledged' ? [{ ticket_id: id, seq: 2, type: 'ACKNOWLEDGE', from_state: 'issued', to_state: 'acknowledged', actor_user_id: null, actor: 'jtj-off', at: '2021-06-19T02:00:00.000Z', payload: {} }] : []),
    ];
    let prev: string | null = null;
    for (const event of events) {
      const hash = unkeyedHash(prev, event);
      await database.db.execute(sql`insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, payload, prev_hash, hash)
        values (${event.ticket_id}, ${event.seq}, ${event.type}, ${event.from_state}, ${event.to_state}, ${event.actor}, ${event.at}, ${JSON.stringify(event.payload)}::jsonb, ${prev}, ${hash})`);
      prev = hash;
    }
  }
  await migrate(database);
  services = createServices({
    database,
    publicUrl: 'https://rectify.test',
    mailFrom: 'Rectify <rectify@rectify.test>',
    now: () => new Date('2021-06-20T02:00:00Z'),
    files: createFolderFileStore({ root: path.join(database.dataDir, 'files') }),
    auditKey: loadAuditKey({ dataDir: database.dataDir }),
  });
});
afterAll(() => database.destroy());

describe('audit rows from before the key (migration 0014)', () => {
  it('are marked chain version 1, each ticket records its tail, and verify finds them intact', async () => {
    const tails = await queryRows<{ id: number; audit_seq: number; audit_hash: string }>(sql`select id, audit_seq, audit_hash from tickets order by id`, database.db);
    const lasts = await queryRows<EventRow>(sql`select distinct on (ticket_id) * from ticket_events order by ticket_id, seq desc`, database.db);
    expect(tails).toEqual(lasts.map((e) => ({ id: e.ticket_id, audit_seq: e.seq, audit_hash: e.hash })));
    expect(await queryRows(sql`select distinct chain_version from ticket_events`, database.db)).toEqual([{ chain_version: 1 }]);
    expect(await services.audit.verify()).toMatchObject({ intact: true, checkedTickets: 2, checkedTicketEvents: 3 });
  });

  it('chain on under the key: a new event after the old ones verifies', async () => {
    await database.db.transaction(async (tx) => {
      await services.ticketEvents.persist(
        { changes: [{ ticketId: ids.issued, type: 'ACKNOWLEDGE', fromState: 'issued', toState: 'acknowledged', actorUserId: null, actor: 'jtj-off', at: new Date('2021-06-20T02:00:00Z'), payload: {} }] },
        tx,
      );
      await tx.execute(sql`update tickets set state = 'acknowledged', version = version + 1 where id = ${ids.issued}`);
    });
    const trail = await services.ticketEvents.listForTicket({ ticketId: ids.issued });
    expect(trail.map((e) => e.chainVersion)).toEqual([1, 2]);
    expect(await services.audit.verify()).toMatchObject({ intact: true, checkedTicketEvents: 4 });
  });

  it('still finds an old row edited', async () => {
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`update ticket_events set actor = 'mallory' where ticket_id = ${ids.acknowledged} and seq = 2`);
    });
    expect(await services.audit.verify()).toMatchObject({ intact: false, problems: [{ trail: 'ticket', id: ids.acknowledged, seq: 2, problem: 'hash_mismatch' }] });
  });
});
