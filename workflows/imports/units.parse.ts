import { unitKinds, type UnitKind } from '../../db/schema/units.table.js';
import {
  cellOf,
  columnName,
  normaliseKey,
  requireColumns,
  splitList,
  textOf,
  type Cell,
  type ColumnMap,
  type RawRow,
  type TableRows,
  type TableSpec,
} from './decode-table.js';
import { normaliseUnitName } from './unit-names.js';
import type { ImportRowError } from './import.errors.js';

/**
 * Reads a units table (代码, 名称, 简称, 类型, 上级, 邮箱, 领导邮箱, 联系人, 电话) without touching the database.
 * Parents are kept as written (a code or a name) for the caller to resolve against the database and
 * the file itself. Every error of every row is reported; a row with any error yields no unit.
 */

export type UnitColumn = 'code' | 'name' | 'aliases' | 'kind' | 'parent' | 'emails' | 'leaderEmails' | 'contactName' | 'contactPhone';

export const unitsTableSpec: TableSpec<UnitColumn> = {
  jsonKey: 'units',
  columns: [
    { key: 'code', label: '代码', required: true, headers: ['代码', '编码', '单位代码', '单位编码', 'code'] },
    { key: 'name', label: '名称', required: true, headers: ['名称', '单位名称', 'name'] },
    { key: 'aliases', label: '简称', headers: ['简称', '别名', '简称/别名', 'aliases', 'alias'] },
    { key: 'kind', label: '类型', required: true, headers: ['类型', '单位类型', 'kind'] },
    { key: 'parent', label: '上级', headers: ['上级', '上级单位', '上级代码', '上级单位代码', 'parent', 'parentCode'] },
    { key: 'emails', label: '邮箱', headers: ['邮箱', '电子邮箱', '联系邮箱', 'email', 'emails'] },
    // 主要负责人/分管负责人: copied from 督办, addressed at 通报.
    { key: 'leaderEmails', label: '领导邮箱', headers: ['领导邮箱', '负责人邮箱', '单位负责人邮箱', '主要负责人邮箱', '分管负责人邮箱', 'leaderEmails'] },
    { key: 'contactName', label: '联系人', headers: ['联系人', 'contactName', 'contact.name'] },
    { key: 'contactPhone', label: '电话', headers: ['电话', '联系电话', 'contactPhone', 'contact.phone', 'phone'] },
  ],
};

export interface ParsedUnit {
  row: number;
  code: string;
  name: string;
  aliases: string[];
  kind: UnitKind;
  /** The parent's code or name as written; resolved by the caller. */
  parent: string | null;
  emails: string[];
  /** Undefined when the file has no 领导邮箱 column: a unit already there keeps the leaders it has. */
  leaderEmails: string[] | undefined;
  contactName: string | null;
  contactPhone: string | null;
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// Deliberately plain: a dotted domain and no spaces; delivery proves the rest.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const EMAIL_SEPARATORS = /[，,、；;\s]+/;
const MAILTO = /^mailto:/i;
const ANGLE_BRACKETS = /^<|>$/g;

const KIND_WORDS = new Map<string, UnitKind>([
  ...unitKinds.map((k): [string, UnitKind] => [k, k]),
  ...(
    [
      ['市直部门', 'city_department'],
      ['市直单位', 'city_department'],
      ['市直', 'city_department'],
      ['部门', 'city_department'],
      ['区县', 'county'],
      ['县市区', 'county'],
      ['区县市', 'county'],
      ['县区', 'county'],
      ['乡镇', 'township'],
      ['乡镇街道', 'township'],
      ['街道', 'township'],
      ['其他', 'other'],
      ['其它', 'other'],
    ] as const
  ).map(([word, kind]): [string, UnitKind] => [normaliseKey(word), kind]),
]);

// 区县(市), 县(市、区), 乡镇(街道) all name one kind.
const KIND_PUNCTUATION = /[()（）、]/g;

/** Throws ImportFileError (`import.missing_headers`) when a required column is missing. */
/** As the API's unit name (POST /api/units). */
const MAX_UNIT_NAME_LENGTH = 200;

export function parseUnitRows(table: TableRows): { units: ParsedUnit[]; errors: ImportRowError[] } {
  const reader = createUnitsReader(table);
  reader.read(table.rows);
  return reader.result();
}

/** parseUnitRows a part of the table at a time, so that a caller can let other work run between parts. */
export function createUnitsReader(table: Pick<TableRows, 'headers'>) {
  const columns = requireColumns(table, unitsTableSpec);
  const errors: ImportRowError[] = [];
  const claims = new Map<string, Claim>();
  const units: ParsedUnit[] = [];
  return {
    read(rows: readonly RawRow[]): void {
      for (const raw of rows) {
        const unit = readUnit(raw, columns, errors);
        if (unit && claimIdentity(unit, claims, columns, errors)) units.push(unit);
      }
    },
    result: () => ({ units, errors }),
  };
}

// ---------------------------------------------------------------- one row

function readUnit(raw: RawRow, columns: ColumnMap<UnitColumn>, errors: ImportRowError[]): ParsedUnit | null {
  const before = errors.length;
  const report = (column: string, value: string, message: string) => errors.push({ row: raw.row, column, value, message });
  const cell = (key: UnitColumn): Cell | undefined => cellOf(columns, raw, key);
  const text = (key: UnitColumn): string | null => {
    const found = cell(key);
    return found ? textOf(found.value) : null;
  };
  const required = (key: UnitColumn): string => {
    const value = text(key);
    const column = columnName(columns, unitsTableSpec, key);
    if (value === null) report(column, '', `${column}不能为空`);
    return value ?? '';
  };

  const code = required('code');
  if (code !== '' && !CODE.test(code)) {
    report(columnName(columns, unitsTableSpec, 'code'), code, '代码只能由字母、数字和 _ . - 组成（以字母或数字开头，最长 64 位），如 YY-WJW');
  }
  const name = required('name');
  if ([...name].length > MAX_UNIT_NAME_LENGTH) {
    report(columnName(columns, unitsTableSpec, 'name'), `${[...name].slice(0, 40).join('')}…`, `名称过长，不能超过 ${MAX_UNIT_NAME_LENGTH} 个字符`);
  }
  const kind = readKind(cell('kind'), columnName(columns, unitsTableSpec, 'kind'), report);
  const parent = text('parent');
  if (parent !== null && (parent === code || normaliseUnitName(parent) === normaliseUnitName(name))) {
    report(columnName(columns, unitsTableSpec, 'parent'), parent, '上级单位不能是本单位');
  }
  const emails = readEmails(cell('emails'), report);
  const leaderEmails = columns.positions.has('leaderEmails') ? readEmails(cell('leaderEmails'), report) : undefined;
  if (errors.length > before || !kind) return null;
  return {
    row: raw.row,
    code,
    name,
    aliases: readAliases(cell('aliases'), name),
    kind,
    parent,
    emails,
    leaderEmails,
    contactName: text('contactName'),
    contactPhone: text('contactPhone'),
  };
}

type Report = (column: string, value: string, message: string) => void;

function readKind(cell: Cell | undefined, column: string, report: Report): UnitKind | null {
  if (!cell) {
    report(column, '', `${column}不能为空`);
    return null;
  }
  const text = textOf(cell.value);
  const kind = KIND_WORDS.get(normaliseKey(text).replace(KIND_PUNCTUATION, ''));
  if (!kind) report(cell.column, text, `无法识别的${cell.column}“${text}”，可填：市直部门、区县、乡镇、其他`);
  return kind ?? null;
}

/** Distinct aliases other than the name itself, in the order given. */
function readAliases(cell: Cell | undefined, name: string): string[] {
  const seen = new Set([normaliseUnitName(name)]);
  const aliases: string[] = [];
  for (const alias of cell ? splitList(cell.value) : []) {
    const key = normaliseUnitName(alias);
    if (seen.has(key)) continue;
    seen.add(key);
    aliases.push(alias);
  }
  return aliases;
}

function readEmails(cell: Cell | undefined, report: Report): string[] {
  if (!cell) return [];
  const emails: string[] = [];
  const seen = new Set<string>();
  const cells = Array.isArray(cell.value) ? cell.value : [cell.value];
  for (const written of cells.flatMap((c) => splitList(c, EMAIL_SEPARATORS))) {
    const email = written.replace(MAILTO, '').replace(ANGLE_BRACKETS, '');
    if (!EMAIL.test(email)) {
      report(cell.column, written, `邮箱地址“${written}”格式不正确，多个邮箱请用逗号或空格分隔`);
      continue;
    }
    if (seen.has(email.toLowerCase())) continue;
    seen.add(email.toLowerCase());
    emails.push(email);
  }
  return emails;
}

// ---------------------------------------------------------------- across rows

/** Which earlier row first used a code, name or alias. */
interface Claim {
  row: number;
  what: string;
}

/**
 * Codes (case aside) and names or aliases must each point at one unit of the file, or matching a
 * notice's unit text would be ambiguous. Claims this row's; reports and returns false on a clash.
 */
function claimIdentity(
  unit: ParsedUnit,
  claims: Map<string, Claim>,
  columns: ColumnMap<UnitColumn>,
  errors: ImportRowError[],
): boolean {
  const wanted: { key: string; value: string; column: UnitColumn; what: string }[] = [
    { key: `code:${unit.code.toLowerCase()}`, value: unit.code, column: 'code', what: '代码' },
    { key: `name:${normaliseUnitName(unit.name)}`, value: unit.name, column: 'name', what: '名称' },
    ...unit.aliases.map((alias) => ({ key: `name:${normaliseUnitName(alias)}`, value: alias, column: 'aliases' as const, what: '简称' })),
  ];
  let clean = true;
  for (const claim of wanted) {
    const first = claims.get(claim.key);
    if (!first) continue;
    clean = false;
    const column = columnName(columns, unitsTableSpec, claim.column);
    errors.push({ row: unit.row, column, value: claim.value, message: `${claim.what}“${claim.value}”与第 ${first.row} 行单位的${first.what}重复` });
  }
  if (clean) for (const claim of wanted) claims.set(claim.key, { row: unit.row, what: claim.what });
  return clean;
}
