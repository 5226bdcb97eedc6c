import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let tokens: Record<string, string>;
let inspectionId: number;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  inspectionId = (await createInspection(t, tokens['gov-sup'] ?? '')).id;
});
afterAll(() => t.close());

describe('POST /api/tickets/events', () => {
  it('gives every item its own result when one fails unexpectedly after others were committed', async () => {
    const issued = await issueFindings(t, inspectionId, [
      { unitCode: 'YY-WJW', targetName: '批量一' },
      { unitCode: 'YY-WJW', targetName: '批量二' },
      { unitCode: 'YY-WJW', targetName: '批量三' },
    ]);
    const [first, broken, last] = issued.tickets.map((ticket) => ticket.id);
    // A real failure the application does not expect: the database itself refuses to touch one ticket.
    await t.services.db.execute(sql.raw(`
      create function refuse_ticket_${broken}() returns trigger language plpgsql as $$
      begin raise exception 'disk on fire' using errcode = 'XX000'; end; $$`));
    await t.services.db.execute(sql.raw(`create trigger refuse_ticket_${broken} before update on tickets for each row when (new.id = ${broken}) execute function refuse_ticket_${broken}()`));

    const response = await t.request(tokens['gov-sup'] ?? '', 'POST', '/api/tickets/events', {
      items: [first, broken, last].map((id) => ({ id, type: 'EXTEND_DEADLINE', dueAt: '2021-07-09', reason: '系统改版' })),
    });
    expect(response.statusCode, response.body).toBe(200);
    const { results } = response.json() as { results: { id: number; ok: boolean; problem?: { status: number; code: string } }[] };
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      [first, true],
      [broken, false],
      [last, true],
    ]);
    expect(results[1]?.problem).toMatchObject({ status: 500, code: 'internal' });
    for (const [id, version] of [
      [first, 2],
      [broken, 1],
      [last, 2],
    ] as const) {
      expect((await t.services.tickets.findView({ id: id ?? 0 }))?.version, `ticket ${id}`).toBe(version);
    }
  });
});
