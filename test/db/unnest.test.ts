import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { arrayLiteral, jsonColumn, unnestColumn } from '../../db/unnest.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.destroy();
});

// Everything an array literal must quote or escape, and text that only looks like something else.
const texts = ['plain', '', 'NULL', 'null', ' spaced ', 'a,b', '{braces}', 'say "hi"', 'back\\slash', '\\"', '"', '\\', '年份 2021', '😀', 'tab\tline\nend', "it's"];

describe('unnestColumn', () => {
  it('reads back every value as it was, through the array literal it writes', async () => {
    const rows = texts.map((text, i) => ({ text, n: i - 3, flag: i % 2 === 0 }));
    const withNulls = [...rows, { text: null, n: null, flag: null }];
    const read = await queryRows<{ text: string | null; n: number | null; flag: boolean | null }>(
      sql`select * from unnest(${unnestColumn(withNulls, (r) => r.text)}::text[], ${unnestColumn(withNulls, (r) => r.n)}::int[], ${unnestColumn(withNulls, (r) => r.flag)}::bool[]) as r(text, n, flag)`,
      database.db,
    );
    expect(read).toEqual(withNulls);
  });

  it('writes numbers and booleans bare and strings always quoted', () => {
    expect(arrayLiteral([1, -2.5, null, true, 'NULL', ''])).toBe('{1,-2.5,NULL,true,"NULL",""}');
    expect(arrayLiteral([])).toBe('{}');
  });
});

describe('jsonColumn', () => {
  it('gives each JSON document back beside its unnest row, in order', async () => {
    const rows = texts.map((text, i) => ({ id: i, json: JSON.stringify({ text, nested: { list: [text, i] } }) }));
    const read = await queryRows<{ id: number; doc: unknown }>(
      sql`select r.id, r.doc::jsonb as doc from rows from (unnest(${unnestColumn(rows, (r) => r.id)}::int[]), json_array_elements(${jsonColumn(rows, (r) => r.json)}::json)) as r(id, doc)`,
      database.db,
    );
    expect(read).toEqual(rows.map(({ id, json }) => ({ id, doc: JSON.parse(json) as unknown })));
  });
});
