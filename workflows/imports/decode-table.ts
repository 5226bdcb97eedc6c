import { ImportFileError } from './import.errors.js';
import { cellTooLong, importLimits, jsonTooDeep, tooManyRows, type ImportLimits } from './import-limits.js';
import { checkXlsxParts } from './xlsx-parts.js';
import { parseCsv } from './csv.reader.js';
import { isBlank, MAX_HEADER_SCAN, type GridRow } from './grid.js';
import { readXlsxSheets } from './xlsx.reader.js';

/**
 * Turns an uploaded file (CSV, XLSX or JSON) into header + rows of trimmed text, and nothing more:
 * what the columns mean is decided by findings.parse.ts and units.parse.ts.
 *
 * Row numbers: `row` is the number Excel shows for that row when it opens the file, so an error
 * message can send the user straight to it. For XLSX it is the sheet's row number. For CSV it is the
 * line number in the file, except that a quoted cell spanning several lines counts as one row (as in
 * Excel) and an Excel `sep=` hint line is not counted. With one header line, the first data row is 2.
 * For JSON it is the 1-based position in the array.
 */

export type TableFormat = 'csv' | 'xlsx' | 'json';
/** A cell: trimmed text, or for JSON arrays (e.g. `"problems": [...]`) the trimmed items. */
export type RawValue = string | string[];

export interface RawRow {
  row: number;
  /** Aligned with `DecodedTable.headers`. */
  values: RawValue[];
}

export interface DecodedTable {
  rows: RawRow[];
  /** The headers as the file names them (trimmed); columns without a header are dropped. */
  headers: string[];
  format: TableFormat;
}

/** What the parsers read: a decoded table, or one built by hand. */
export type TableRows = Pick<DecodedTable, 'headers' | 'rows'>;

export interface ColumnSpec<K extends string = string> {
  key: K;
  /** Accepted headers; compared after normaliseHeader(), so spacing, case and full-width forms do not matter. */
  headers: readonly string[];
  /** How a message names the column when it is missing, e.g. 开设主体（或 主办单位）. */
  label: string;
  required?: boolean;
}

export interface TableSpec<K extends string = string> {
  /** The array property of a JSON body: `{ "findings": [...] }`. */
  jsonKey: string;
  columns: readonly ColumnSpec<K>[];
}

export interface DecodeInput {
  bytes: Buffer;
  contentType?: string;
  filename?: string;
  /**
   * What the table should contain. With it, the header row is the first row holding one of its
   * headers (title rows above are skipped), an XLSX uses the first sheet that has them, and missing
   * required columns throw here. Without it, the header row is the first with two or more cells.
   */
  spec?: TableSpec;
  /** Rows, cell length, XLSX size and JSON depth allowed; the defaults when left out. */
  limits?: ImportLimits;
}

const CONTROL_SAMPLE_CHARS = 65_536;

/**
 * A table as it arrived: file bytes (CSV, XLSX, JSON text), an uploaded file waiting on disk, or a
 * JSON body already parsed; with the limits of the route that took it (the defaults when left out).
 */
export type TableSource = ({ bytes: Buffer; contentType?: string; filename?: string } | { file: string; contentType?: string; filename?: string } | { json: unknown }) & {
  limits?: ImportLimits;
};

export async function decodeTable(input: DecodeInput): Promise<DecodedTable> {
  const { bytes, spec } = input;
  const limits = input.limits ?? importLimits();
  if (bytes.length === 0) throw new ImportFileError('import.empty_file', '文件是空的');
  const binary = binaryFormat(bytes);
  if (binary === 'xls') {
    throw new ImportFileError('import.unsupported_format', '不支持旧版 Excel（.xls/.et）文件，请在 Excel 或 WPS 中另存为 .xlsx 或 CSV 后再导入');
  }
  if (binary === 'xlsx') {
    // The parts are inflated once, counted and scanned, before exceljs builds anything from them.
    await checkXlsxParts(bytes, limits, MAX_HEADER_SCAN);
    const sheets = await readXlsxSheets(bytes, limits);
    // Without a spec the first sheet with content is the table; with one, the first sheet that has its headers.
    const chosen = sheets.find((grid) => findHeaderRow(grid, spec) !== -1);
    return tableFromGrid(chosen ? [chosen] : sheets, spec, 'xlsx', limits);
  }
  const text = decodeText(bytes);
  if (text.trim() === '') throw new ImportFileError('import.empty_file', '文件是空的');
  if (textFormat(text, input) === 'json') {
    checkJsonDepth(text, limits.maxJsonDepth);
    return tableFromJson(parseJson(text), spec, limits);
  }
  return tableFromGrid([parseCsv(text, limits)], spec, 'csv', limits);
}

// ---------------------------------------------------------------- format and text encoding

function binaryFormat(bytes: Buffer): 'xlsx' | 'xls' | null {
  // The bytes decide over content type and name: Excel files are often sent as application/octet-stream.
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x504b0304) return 'xlsx';
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xd0cf11e0 && bytes.readUInt32BE(4) === 0xa1b11ae1) return 'xls';
  return null;
}

function textFormat(text: string, input: DecodeInput): 'json' | 'csv' {
  const type = input.contentType?.toLowerCase() ?? '';
  const name = input.filename?.toLowerCase() ?? '';
  if (type.includes('json') || name.endsWith('.json')) return 'json';
  if (type.includes('csv') || type.includes('tab-separated') || /\.(csv|tsv|txt)$/.test(name)) return 'csv';
  const first = text.trimStart()[0];
  return first === '{' || first === '[' ? 'json' : 'csv';
}

const UNREADABLE_TEXT = '无法识别文件内容：请上传 CSV（UTF-8 或 GB18030 编码）、XLSX 或 JSON 文件';

/** UTF-8 (BOM or not) first; what is not valid UTF-8 is read as GB18030, as Excel and WPS save on Chinese Windows. */
function decodeText(bytes: Buffer): string {
  const text = decodeWithBom(bytes) ?? decodeWithoutBom(bytes);
  if (looksBinary(text)) throw new ImportFileError('import.unreadable', UNREADABLE_TEXT);
  return text;
}

// Excel's "Unicode text" export is UTF-16LE with a BOM.
const BYTE_ORDER_MARKS: readonly (readonly [bom: readonly number[], encoding: string])[] = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

function decodeWithBom(bytes: Buffer): string | null {
  const encoding = BYTE_ORDER_MARKS.find(([bom]) => bom.every((byte, i) => bytes[i] === byte))?.[1];
  if (!encoding) return null;
  return strictDecode(encoding, bytes) ?? unreadable();
}

function decodeWithoutBom(bytes: Buffer): string {
  if (bytes.subarray(0, 4096).includes(0)) unreadable();
  return strictDecode('utf-8', bytes) ?? strictDecode('gb18030', bytes) ?? unreadable();
}

function strictDecode(encoding: string, bytes: Buffer): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function unreadable(): never {
  throw new ImportFileError('import.unreadable', UNREADABLE_TEXT);
}

/** Garbage can happen to decode; real tables hold (almost) no control characters besides tab and line breaks. */
function looksBinary(text: string): boolean {
  const length = Math.min(text.length, CONTROL_SAMPLE_CHARS);
  let controls = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 ? code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c : code === 0x7f) controls++;
  }
  return controls > length / 100;
}

// ---------------------------------------------------------------- JSON

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ImportFileError('import.unreadable', `JSON 格式错误：${reason}`, { cause });
  }
}

/**
 * A JSON body: `{ "findings": [...] }`, `{ "units": [...] }` or a bare array of objects. Exported so
 * a route that already parsed the body can reuse it. Nested objects become dotted headers (`contact.name`).
 */
export function tableFromJson(value: unknown, spec?: TableSpec, limits: ImportLimits = importLimits()): DecodedTable {
  const items = jsonItems(value, spec);
  if (items.length > limits.maxRows) throw tooManyRows(limits.maxRows);
  const headers: string[] = [];
  const positions = new Map<string, number>();
  const flat = items.map((item, index) => {
    if (!isPlainObject(item)) throw new ImportFileError('import.unreadable', `JSON 第 ${index + 1} 项不是对象`);
    const cells = new Map<string, RawValue>();
    flatten(item, '', cells);
    for (const key of cells.keys()) {
      if (!positions.has(key)) positions.set(key, headers.push(key) - 1);
    }
    return cells;
  });
  const rows = flat.map((cells, index) => {
    const values: RawValue[] = headers.map(() => '');
    for (const [key, cell] of cells) {
      if ((Array.isArray(cell) ? cell : [cell]).some((text) => text.length > limits.maxCellLength)) throw cellTooLong(limits.maxCellLength, { row: index + 1, column: key });
      values[positions.get(key) ?? 0] = cell;
    }
    return { row: index + 1, values };
  });
  const table: DecodedTable = { rows: rows.filter((r) => !isBlank(r.values)), headers, format: 'json' };
  if (spec) requireColumns(table, spec);
  if (table.rows.length === 0) throw new ImportFileError('import.no_rows', '文件中没有数据行');
  return table;
}

/**
 * Counts the nesting of JSON text before JSON.parse builds it (brackets outside strings), so a file
 * 100,000 levels deep is refused for what it is rather than parsed and walked.
 */
function checkJsonDepth(text: string, limit: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) throw jsonTooDeep(limit);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

function jsonItems(value: unknown, spec: TableSpec | undefined): unknown[] {
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) {
    const keys = spec ? [spec.jsonKey] : ['findings', 'units'];
    for (const key of keys) {
      const items = value[key];
      if (Array.isArray(items)) return items;
    }
  }
  const expected = spec ? `{"${spec.jsonKey}": [...]}` : '{"findings": [...]} 或 {"units": [...]}';
  throw new ImportFileError('import.unreadable', `JSON 应为对象数组，或 ${expected}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flatten(object: Record<string, unknown>, prefix: string, into: Map<string, RawValue>): void {
  for (const [key, value] of Object.entries(object)) {
    const name = prefix + key.trim();
    if (isPlainObject(value)) flatten(value, `${name}.`, into);
    else into.set(name, Array.isArray(value) ? value.map(jsonText).filter((v) => v !== '') : jsonText(value));
  }
}

function jsonText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

// ---------------------------------------------------------------- from grid to table

function tableFromGrid(sheets: GridRow[][], spec: TableSpec | undefined, format: TableFormat, limits: ImportLimits): DecodedTable {
  const grid = sheets.find((g) => findHeaderRow(g, spec) !== -1);
  if (!grid) {
    // Name what the file has instead, so the user sees why nothing matched.
    const firstRow = sheets.flat().find((r) => !isBlank(r.cells));
    if (spec && firstRow) requireColumns({ headers: firstRow.cells.map((c) => c.trim()).filter((c) => c !== '') }, spec);
    throw new ImportFileError('import.empty_file', '文件中没有内容');
  }
  const headerAt = findHeaderRow(grid, spec);
  const headerCells = grid[headerAt]?.cells.map((c) => c.trim()) ?? [];
  const columns = headerCells.flatMap((header, index) => (header === '' ? [] : [index]));
  const table: DecodedTable = { rows: [], headers: columns.map((c) => headerCells[c] ?? ''), format };
  if (spec) requireColumns(table, spec);
  // Usually every column has a header; then the grid's own arrays are trimmed in place, sparing 100,000 copies.
  const contiguous = columns.every((c, i) => c === i);
  for (let i = headerAt + 1; i < grid.length; i++) {
    const source = grid[i];
    if (!source) continue;
    const values = contiguous ? trimInPlace(source.cells, columns.length) : columns.map((c) => source.cells[c]?.trim() ?? '');
    if (!isBlank(values) && !isFootnote(values)) table.rows.push({ row: source.row, values });
    if (table.rows.length > limits.maxRows) throw tooManyRows(limits.maxRows);
  }
  if (table.rows.length === 0) throw new ImportFileError('import.no_rows', '表格只有表头，没有数据行');
  return table;
}

function trimInPlace(cells: string[], width: number): string[] {
  if (cells.length > width) cells.length = width;
  for (let i = 0; i < width; i++) cells[i] = cells[i]?.trim() ?? '';
  return cells;
}

function findHeaderRow(grid: GridRow[], spec: TableSpec | undefined): number {
  let scanned = 0;
  let firstFilled = -1;
  for (let i = 0; i < grid.length && scanned < MAX_HEADER_SCAN; i++) {
    const cells = grid[i]?.cells ?? [];
    if (isBlank(cells)) continue;
    scanned++;
    if (firstFilled === -1) firstFilled = i;
    if (spec ? cells.some((c) => headerKey(spec, c) !== undefined) : cells.filter((c) => c.trim() !== '').length >= 2) {
      return i;
    }
  }
  return spec ? -1 : firstFilled;
}

const FOOTNOTE = /^(注|说明)\s*[:：]/;

/** The notice's tables end with "注：检查采样时间为…" in the first column; that is not a row of data. */
function isFootnote(values: readonly RawValue[]): boolean {
  const filled = values.filter((v) => v !== '');
  const only = filled[0];
  return filled.length === 1 && typeof only === 'string' && FOOTNOTE.test(only);
}

// ---------------------------------------------------------------- headers and cells (used by the parsers)

const PARENTHESISED = /[(（][^)）]*[)）]/g;
const HEADER_NOISE = /[\s*_-]/g;

/** 最后更新时间（月.日）, ＊账号名称, target_name → comparable keys. */
export function normaliseHeader(text: string): string {
  const plain = text.normalize('NFKC');
  const stripped = plain.replace(PARENTHESISED, '');
  return (stripped.trim() === '' ? plain : stripped).replace(HEADER_NOISE, '').toLowerCase();
}

const specIndexes = new WeakMap<TableSpec, Map<string, string>>();

function headerIndex(spec: TableSpec): Map<string, string> {
  let index = specIndexes.get(spec);
  if (!index) {
    index = new Map();
    for (const column of spec.columns) {
      for (const header of column.headers) index.set(normaliseHeader(header), column.key);
    }
    specIndexes.set(spec, index);
  }
  return index;
}

/** The column key a file header stands for; "网址/账号ID" style headers are tried part by part. */
function headerKey(spec: TableSpec, header: string): string | undefined {
  const index = headerIndex(spec);
  const whole = index.get(normaliseHeader(header));
  if (whole !== undefined || !/[/／]/.test(header)) return whole;
  for (const part of header.split(/[/／]/)) {
    const key = index.get(normaliseHeader(part));
    if (key !== undefined) return key;
  }
  return undefined;
}

export interface ColumnMap<K extends string> {
  headers: readonly string[];
  /** Column positions per key, in file order: a key may be given by several columns (账号名称 and 网站名称). */
  positions: ReadonlyMap<K, readonly number[]>;
}

/** Maps the file's headers to the spec's keys; throws `import.missing_headers` naming what is missing. */
export function requireColumns<K extends string>(table: { headers: readonly string[] }, spec: TableSpec<K>): ColumnMap<K> {
  const positions = new Map<K, number[]>();
  table.headers.forEach((header, position) => {
    const key = headerKey(spec, header) as K | undefined;
    if (key !== undefined) positions.set(key, [...(positions.get(key) ?? []), position]);
  });
  const missing = spec.columns.filter((c) => c.required && !positions.has(c.key));
  if (missing.length > 0) {
    const found = table.headers.length > 0 ? `；文件中的表头为：${table.headers.join('、')}` : '';
    throw new ImportFileError('import.missing_headers', `表格缺少必需的列：${missing.map((c) => c.label).join('、')}${found}`, {
      missing: missing.map((c) => ({ label: c.label, headers: c.headers })),
    });
  }
  return { headers: table.headers, positions };
}

export interface Cell {
  /** The header as the file names it. */
  column: string;
  value: RawValue;
}

/** The first non-empty cell of the row for this key, or undefined. */
export function cellOf<K extends string>(columns: ColumnMap<K>, row: RawRow, key: K): Cell | undefined {
  for (const position of columns.positions.get(key) ?? []) {
    const value = row.values[position];
    if (value !== undefined && value.length > 0) return { column: columns.headers[position] ?? '', value };
  }
  return undefined;
}

/** The header to name in an error about this key when the row has no cell for it. */
export function columnName<K extends string>(columns: ColumnMap<K>, spec: TableSpec<K>, key: K): string {
  const first = columns.positions.get(key)?.[0];
  if (first !== undefined) return columns.headers[first] ?? '';
  return spec.columns.find((c) => c.key === key)?.headers[0] ?? key;
}

/** A cell as one string: JSON arrays are joined the way the notice writes lists. */
export function textOf(value: RawValue | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join('，') : value;
}

// ---------------------------------------------------------------- text helpers (used by the parsers)

/** The notice's list separators, full-width and half-width, plus line breaks. */
export const LIST_SEPARATORS = /[，,、；;\r\n]+/;

/** Splits a list cell; a JSON array is already a list and is not split again. */
export function splitList(value: RawValue, separators: RegExp = LIST_SEPARATORS): string[] {
  const parts = Array.isArray(value) ? value : value.split(separators);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY_NOISE = /[\s"'“”‘’「」『』]/g;
const TRAILING_STOPS = /[。.!！]+$/;

/** For matching words against a vocabulary: half-width forms, no spaces or quotes, no final 。, lower case. */
export function normaliseKey(text: string): string {
  return text.normalize('NFKC').replace(KEY_NOISE, '').replace(TRAILING_STOPS, '').toLowerCase();
}
