// The list's q= has two plans (db/repositories/ticket-search.ts): under SEARCH_WALK_FROM matches it
// fetches them by id; from it on it walks the list's order and tests each ticket. These cases have
// more matches than that, so they take the walk, and must give exactly what the few-match plan gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_WALK_FROM } from '../../db/repositories/ticket-search.js';
import { toTicketDtoWithDays } from '../../server/routes/tickets/tickets.schemas.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

let t: TestApp;
let tokens: Record<string, string>;
/** Every ticket, as the list without q= gives them: what each search is checked against. */
let everything: Item[] = [];

interface Item {
  id: number;
  number: string;
  unitCode: string;
  target: { name: string };
}

const MANY = SEARCH_WALK_FROM + 40;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
  // Issued in this order: the first 60 tickets' numbers (…-0001 to …-0060) contain "-0" and their
  // targets' names do not; every name of the large group ends in "-0".
  const items = [
    ...Array.from({ length: 30 }, (_, n) => ({ unitCode: 'YY-JTJ', targetName: `益阳交通${n}` })),
    ...Array.from({ length: 30 }, (_, n) => ({ unitCode: 'AH-GL', targetName: `古楼健康益阳${n}` })),
    ...Array.from({ length: MANY }, (_, n) => ({ unitCode: 'YY-WJW', targetName: `健康益阳${n}-0` })),
  ];
  await issueFindings(t, inspection.id, items);
  everything = await list('admin', '');
  expect(everything).toHaveLength(items.length);
}, 300_000);
afterAll(() => t?.close());

/** Every page of the list, following nextCursor. */
async function list(username: string, query: string): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  do {
    const response = await t.request(tokens[username] ?? '', 'GET', `/api/tickets?${query}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json() as { items: Item[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

const search = async (username: string, q: string) => (await list(username, `q=${encodeURIComponent(q)}`)).map((item) => item.id);
const idsOf = (keep: (item: Item) => boolean) => everything.filter(keep).map((item) => item.id);

describe('GET /api/tickets?q= with more matches than SEARCH_WALK_FROM', () => {
  it('finds by target name every matching ticket once, in the list order, across pages', async () => {
    const expected = idsOf((item) => item.target.name.includes('健康益阳'));
    expect(expected.length).toBeGreaterThanOrEqual(SEARCH_WALK_FROM);
    expect(await search('admin', '健康益阳')).toEqual(expected);
  });

  it('finds by unit name, and by ticket number, on the walk too', async () => {
    const byUnit = idsOf((item) => item.unitCode === 'YY-WJW');
    expect(byUnit.length).toBeGreaterThanOrEqual(SEARCH_WALK_FROM);
    expect(await search('admin', '卫生健康委员会')).toEqual(byUnit);
    // Every number starts with the inspection's short code.
    expect(await search('admin', '2021-2-')).toEqual(idsOf(() => true));
  });

  it('finds by number through the ids of the tickets whose number matches, when they are fewer than SEARCH_WALK_FROM', async () => {
    const byNumber = idsOf((item) => item.number.includes('-0'));
    expect(byNumber.length).toBeGreaterThan(60);
    expect(byNumber.length).toBeLessThan(SEARCH_WALK_FROM);
    const onlyByNumber = idsOf((item) => item.number.includes('-0') && !item.target.name.includes('-0'));
    expect(onlyByNumber).toHaveLength(60);
    const expected = idsOf((item) => item.number.includes('-0') || item.target.name.includes('-0'));
    expect(expected.length).toBeGreaterThanOrEqual(SEARCH_WALK_FROM);
    expect(await search('admin', '-0')).toEqual(expected);
  });

  it('stays within the viewer scope', async () => {
    const township = idsOf((item) => item.unitCode === 'AH-GL');
    expect(township).toHaveLength(30);
    expect(await search('gl-off', '健康益阳')).toEqual(township);
    expect(await search('jtj-off', '健康益阳')).toEqual([]);
  });
});

describe('GET /api/tickets rows', () => {
  it('shows each ticket as its full view gives it', async () => {
    const admin = await t.services.users.findPublic({ username: 'admin' });
    const viewer = admin ? await t.services.users.findViewer({ id: admin.id }) : undefined;
    if (!viewer) throw new Error('no admin');
    const now = t.clock.now();
    const views = await t.services.tickets.list({ viewer, filters: {}, limit: 200, now });
    const calendar = await t.services.calendarService.current();
    const response = await t.request(tokens['admin'] ?? '', 'GET', '/api/tickets?limit=200');
    expect(response.statusCode, response.body).toBe(200);
    const expected = JSON.parse(JSON.stringify(views.map((view) => toTicketDtoWithDays(view, now, calendar)))) as unknown;
    expect((response.json() as { items: unknown[] }).items).toEqual(expected);
  });
});
