import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, queryRows, type Db } from '../../db/client.js';
import { runAuditVerify } from '../../server/commands/audit.command.js';
import { loadConfig, type Config } from '../../server/config.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';
import { unkeyedHash, type EventRow } from '../helpers/unkeyed-chain.js';

/**
 * What someone with write access to the database (a SQL shell as the table owner) can do to the
 * trail behind the append-only triggers' back, each checked with `rectify audit verify`: deleting a
 * ticket's last events, deleting all its events, changing its state without an event, rewriting a
 * payload and recomputing the chain without the key. Each is undone afterwards, and the trail is
 * intact again. Runs on PGlite and, with DATABASE_URL, on PostgreSQL.
 */

let config: Config;
let dataDir: string;
let url: string | undefined;
let tickets: { id: number; number: string }[];

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => void out.push(line), err: (line: string) => void err.push(line) }, out, err };
}

/**
 * Opens the database the command uses and changes it with triggers and foreign keys off
 * (`session_replication_role = replica`), as its owner could.
 */
async function asOwner<T>(change: (db: Db) => Promise<T>): Promise<T> {
  const database = await createDatabase({ databaseUrl: url, dataDir, command: 'vitest tamper' });
  try {
    return await database.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      return change(tx);
    });
  } finally {
    await database.close();
  }
}

const eventsOf = (db: Db, ticketId: number) => queryRows<EventRow>(sql`select * from ticket_events where ticket_id = ${ticketId} order by seq`, db);

/** Puts deleted rows back exactly as they were. */
async function reinsert(db: Db, rows: EventRow[]) {
  for (const row of rows) {
    await db.execute(sql`insert into ticket_events (id, ticket_id, seq, type, from_state, to_state, actor_user_id, actor, at, payload, prev_hash, hash, chain_version)
      select id, ticket_id, seq, type, from_state, to_state, actor_user_id, actor, at, payload, prev_hash, hash, chain_version
      from jsonb_populate_record(null::ticket_events, ${JSON.stringify(row)}::jsonb)`);
  }
}

async function verify() {
  const { io, out, err } = capture();
  const code = await runAuditVerify(config, io);
  return { code, out, report: err.join('\n') };
}

beforeAll(async () => {
  const t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ dataDir, url } = t.db);
  const { tokens } = await seedOrganisation(t);
  const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
  ({ tickets } = await issueFindings(t, inspection.id, [
    { unitCode: 'YY-WJW', targetName: '健康益阳' },
    { unitCode: 'YY-JTJ', targetName: '益阳交通' },
    { unitCode: 'YY-JTJ', targetName: '益阳公路' },
  ]));
  // The written feedback each unit owes on the inspection (the import creates them; these tickets were issued directly).
  await t.services.feedbacks.ensureForInspection({ inspectionId: inspection.id, dueAt: null });
  for (const ticket of tickets.slice(1)) {
    for (const body of [{ type: 'ACKNOWLEDGE' }, { type: 'SUBMIT_RECTIFICATION', feedback: '已整改' }]) {
      const response = await t.request(tokens['jtj-off'] ?? '', 'POST', `/api/tickets/${ticket.id}/events`, body);
      if (response.statusCode !== 200) throw new Error(response.body);
    }
  }
  await t.app.close();
  await t.db.close();
  config = loadConfig({ DATA_DIR: dataDir, ...(url ? { DATABASE_URL: url } : {}) });
});

afterAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (url) {
    const name = new URL(url).pathname.slice(1);
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  }
});

describe('rectify audit verify finds the trail tampered with', () => {
  it('is intact before anything is changed', async () => {
    const { code, out } = await verify();
    expect(out).toEqual(['Audit trail intact: 7 events in 3 tickets, 0 events in 0 written feedbacks, 0 files.']);
    expect(code).toBe(0);
  });

  it('finds a ticket’s last events deleted', async () => {
    const ticket = tickets[1] ?? { id: 0, number: '' };
    const removed = await asOwner(async (db) => {
      const rows = (await eventsOf(db, ticket.id)).filter((row) => row.seq >= 2);
      await db.execute(sql`delete from ticket_events where ticket_id = ${ticket.id} and seq >= 2`);
      // The state goes back with them, so that only the missing events tell.
      await db.execute(sql`update tickets set state = 'issued' where id = ${ticket.id}`);
      return rows;
    });
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report).toContain(`ticket ${ticket.number}`);
      expect(report).toContain('events_missing');
    } finally {
      await asOwner(async (db) => {
        await reinsert(db, removed);
        await db.execute(sql`update tickets set state = 'rectified' where id = ${ticket.id}`);
      });
    }
    expect((await verify()).code).toBe(0);
  });

  it('finds every event of a ticket deleted', async () => {
    const ticket = tickets[2] ?? { id: 0, number: '' };
    const removed = await asOwner(async (db) => {
      const rows = await eventsOf(db, ticket.id);
      await db.execute(sql`delete from ticket_events where ticket_id = ${ticket.id}`);
      return rows;
    });
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report).toContain(`工单 ${ticket.number}`);
      expect(report).toContain('events_missing');
    } finally {
      await asOwner((db) => reinsert(db, removed));
    }
    expect((await verify()).code).toBe(0);
  });

  it('finds a ticket’s state changed with no event behind it', async () => {
    const ticket = tickets[0] ?? { id: 0, number: '' };
    await asOwner((db) => db.execute(sql`update tickets set state = 'verified' where id = ${ticket.id}`));
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report).toContain(`ticket ${ticket.number}`);
      expect(report).toContain('state_mismatch');
    } finally {
      await asOwner((db) => db.execute(sql`update tickets set state = 'issued' where id = ${ticket.id}`));
    }
    expect((await verify()).code).toBe(0);
  });

  it('finds a payload rewritten and the chain recomputed without the key', async () => {
    const ticket = tickets[1] ?? { id: 0, number: '' };
    const original = await asOwner(async (db) => {
      const rows = await eventsOf(db, ticket.id);
      let prev: string | null = null;
      for (const row of rows) {
        const forged = row.seq === 3 ? { ...row, payload: { feedback: '从未提交过的反馈' } } : row;
        const hash = unkeyedHash(prev, forged);
        await db.execute(sql`update ticket_events set payload = ${JSON.stringify(forged.payload)}::jsonb, prev_hash = ${prev}, hash = ${hash} where id = ${row.id}`);
        prev = hash;
      }
      return rows;
    });
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report).toContain(`ticket ${ticket.number}`);
      expect(report).toContain('hash_mismatch');
    } finally {
      await asOwner(async (db) => {
        for (const row of original) {
          await db.execute(sql`update ticket_events set payload = ${JSON.stringify(row.payload)}::jsonb, prev_hash = ${row.prev_hash}, hash = ${row.hash} where id = ${row.id}`);
        }
      });
    }
    expect((await verify()).code).toBe(0);
  });

  it('finds the chain recomputed without the key as unkeyed rows, the ticket’s tail moved along', async () => {
    const ticket = tickets[2] ?? { id: 0, number: '' };
    const original = await asOwner(async (db) => {
      const rows = await eventsOf(db, ticket.id);
      let prev: string | null = null;
      for (const row of rows) {
        const forged = row.seq === 3 ? { ...row, payload: { feedback: '从未提交过的反馈' } } : row;
        const hash = unkeyedHash(prev, forged);
        await db.execute(sql`update ticket_events set payload = ${JSON.stringify(forged.payload)}::jsonb, prev_hash = ${prev}, hash = ${hash}, chain_version = 1 where id = ${row.id}`);
        prev = hash;
      }
      await db.execute(sql`update tickets set audit_hash = ${prev} where id = ${ticket.id}`);
      return rows;
    });
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report).toContain(`ticket ${ticket.number}`);
      expect(report).toContain('unkeyed');
    } finally {
      await asOwner(async (db) => {
        for (const row of original) {
          await db.execute(sql`update ticket_events set payload = ${JSON.stringify(row.payload)}::jsonb, prev_hash = ${row.prev_hash}, hash = ${row.hash}, chain_version = 2 where id = ${row.id}`);
        }
        await db.execute(sql`update tickets set audit_hash = ${original.at(-1)?.hash ?? null} where id = ${ticket.id}`);
      });
    }
    expect((await verify()).code).toBe(0);
  });

  it('finds a written feedback’s state changed with no event behind it', async () => {
    const [feedback] = await asOwner((db) => queryRows<{ id: number }>(sql`select id from feedbacks order by id limit 1`, db));
    if (!feedback) throw new Error('no written feedback');
    await asOwner((db) => db.execute(sql`update feedbacks set state = 'accepted' where id = ${feedback.id}`));
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report).toContain(`written feedback id ${feedback.id}`);
      expect(report).toContain('state_mismatch');
    } finally {
      await asOwner((db) => db.execute(sql`update feedbacks set state = 'pending' where id = ${feedback.id}`));
    }
    expect((await verify()).code).toBe(0);
  });
});
