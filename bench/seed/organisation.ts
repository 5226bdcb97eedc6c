import { hashPassword } from '../../core/password.js';
import type { RawSql } from '../bench-database.js';

export const BENCH_PASSWORD = 'bench-password-1';
export const OFFICE_CODE = 'GOV';
export const OFFICE_SUPERVISOR = 'gov-sup';

export interface BenchUnit {
  id: number;
  code: string;
  name: string;
  kind: 'city_department' | 'county' | 'township' | 'other';
  /** The county the unit lies in (区县 of the notice), null for the office and city departments. */
  county: string | null;
  officer: string;
}

export interface BenchOrganisation {
  office: BenchUnit;
  units: BenchUnit[];
  /** County offices with their supervisor's username. */
  countySupervisors: { unit: BenchUnit; username: string }[];
}

/**
 * A province-like tree of `size` units: the inspecting office, counties (区县) under it with their
 * townships, and city departments; one officer per unit, a supervisor for the office and each county.
 * Written with raw SQL in a few statements: seeding is not what is measured.
 */
export async function seedOrganisation(raw: RawSql, size: number): Promise<BenchOrganisation> {
  const [root] = await raw.query<{ id: number; path: string }>(`select id, path from units where code = 'ROOT'`);
  if (!root) throw new Error('the ROOT unit is missing: ensureAdmin has not run');
  const [{ base } = { base: 0 }] = await raw.query<{ base: number }>(`select coalesce(max(id), 0)::int as base from units`);

  const counties = Math.max(2, Math.floor(size / 50));
  const departments = Math.floor(size * 0.3);
  const townships = size - 1 - counties - departments;
  let nextId = base;
  const rows: (BenchUnit & { parentId: number; path: string })[] = [];
  const add = (unit: Omit<BenchUnit, 'id' | 'officer'>, parent: { id: number; path: string }) => {
    const id = ++nextId;
    const row = { ...unit, id, officer: `${unit.code.toLowerCase()}-off`, parentId: parent.id, path: `${parent.path}${id}/` };
    rows.push(row);
    return row;
  };

  const office = add({ code: OFFICE_CODE, name: '示范省政务公开政务服务管理办公室', kind: 'other', county: null }, root);
  const countyRows = Array.from({ length: counties }, (_, c) =>
    add({ code: `C${pad(c + 1)}`, name: `示范${c + 1}县人民政府办公室`, kind: 'county', county: `示范${c + 1}县` }, office),
  );
  for (let d = 0; d < departments; d++) add({ code: `D${pad(d + 1)}`, name: `示范市第${d + 1}局`, kind: 'city_department', county: null }, office);
  for (let t = 0; t < townships; t++) {
    const county = countyRows[t % counties];
    if (!county) continue;
    const n = Math.floor(t / counties) + 1;
    add({ code: `${county.code}-T${pad(n)}`, name: `${county.county}第${n}乡人民政府`, kind: 'township', county: county.county }, county);
  }

  await raw.query(
    `insert into units (id, code, name, kind, parent_id, path, emails)
     select id, code, name, kind, parent_id, path, array[lower(code) || '@bench.rectify.local']
     from unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[]) as u(id, code, name, kind, parent_id, path)`,
    [rows.map((r) => r.id), rows.map((r) => r.code), rows.map((r) => r.name), rows.map((r) => r.kind), rows.map((r) => r.parentId), rows.map((r) => r.path)],
  );
  await raw.query(`select setval(pg_get_serial_sequence('units', 'id'), $1)`, [nextId]);

  // One hash for everyone: scrypt per user would turn seeding into minutes of key derivation.
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  const users = [
    { username: OFFICE_SUPERVISOR, role: 'supervisor', unitId: office.id },
    ...countyRows.map((c) => ({ username: `${c.code.toLowerCase()}-sup`, role: 'supervisor', unitId: c.id })),
    ...rows.map((u) => ({ username: u.officer, role: 'officer', unitId: u.id })),
  ];
  await raw.query(
    `insert into users (username, password_hash, role, unit_id, display_name)
     select username, $1, role, unit_id, username from unnest($2::text[], $3::text[], $4::int[]) as u(username, role, unit_id)`,
    [passwordHash, users.map((u) => u.username), users.map((u) => u.role), users.map((u) => u.unitId)],
  );

  const strip = ({ parentId: _p, path: _path, ...unit }: BenchUnit & { parentId: number; path: string }): BenchUnit => unit;
  return {
    office: strip(office),
    units: rows.map(strip),
    countySupervisors: countyRows.map((c) => ({ unit: strip(c), username: `${c.code.toLowerCase()}-sup` })),
  };
}

function pad(n: number): string {
  return String(n).padStart(3, '0');
}
