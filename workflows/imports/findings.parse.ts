import { platforms, type Platform, type TargetKind } from '../../db/schema/targets.table.js';
import {
  cellOf,
  columnName,
  normaliseHeader,
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
import type { ImportRowError } from './import.errors.js';
import { suggestClosest, type UnitResolution } from './unit-names.js';
import { createErrorList, MAX_LISTED_ERRORS, type ErrorList } from './import-limits.js';

/**
 * Reads a findings table (the notice's 附件 tables) into findings, without touching the database:
 * units are looked up through `ctx.resolveUnit`. Every error of every row is reported; a row with
 * any error yields no finding, so the caller can reject the whole file (all or nothing).
 */

export type FindingColumn =
  | 'no'
  | 'targetName'
  | 'ownerUnit'
  | 'platform'
  | 'county'
  | 'problems'
  | 'lastUpdatedOn'
  | 'url'
  | 'note'
  | 'outstanding'
  | 'targetKind';

export const findingsTableSpec: TableSpec<FindingColumn> = {
  jsonKey: 'findings',
  columns: [
    { key: 'no', label: '序号', headers: ['序号', '编号', 'no', 'number'] },
    {
      key: 'targetName',
      label: '账号名称（或 网站名称）',
      required: true,
      headers: ['账号名称', '网站名称', '政务新媒体名称', '新媒体名称', '账号', '名称', '检查对象', 'targetName', 'name'],
    },
    {
      key: 'ownerUnit',
      label: '开设主体（或 主办单位）',
      required: true,
      headers: ['开设主体', '主办单位', '开设单位', '责任单位', '单位', '单位名称', 'ownerUnit', 'unit', 'unitCode'],
    },
    { key: 'platform', label: '账号类型', headers: ['账号类型', '平台', '平台类型', '类型', 'platform', 'accountType'] },
    { key: 'county', label: '区县', headers: ['区县', '所属区县', '县市区', 'county'] },
    {
      key: 'problems',
      label: '存在的问题',
      required: true,
      headers: ['存在的问题', '存在问题', '主要问题', '问题', '问题描述', 'problems', 'problem'],
    },
    {
      key: 'lastUpdatedOn',
      label: '最后更新时间',
      headers: ['最后更新时间', '最后更新日期', '最近更新时间', '最后更新', 'lastUpdatedOn', 'lastUpdated', 'lastUpdate'],
    },
    { key: 'url', label: '网址', headers: ['网址', '网站地址', '域名', '链接', '账号ID', '微信号', 'url', 'accountId', 'link'] },
    { key: 'note', label: '备注', headers: ['备注', 'note', 'remark'] },
    { key: 'outstanding', label: '是否突出问题', headers: ['是否突出问题', '突出问题', '单否', '是否单否', 'outstanding'] },
    { key: 'targetKind', label: '对象类型', headers: ['对象类型', '检查对象类型', '类别', 'targetKind', 'kind'] },
  ],
};

export interface CatalogueProblem {
  code: string;
  label: string;
  aliases: readonly string[];
}

export interface FindingsParseContext {
  /** The year of the sampling period: `4.21` means 21 April of this year... */
  year: number;
  /** ...unless that is after this date (YYYY-MM-DD, the end of sampling): then of the year before. */
  notAfter?: string;
  /** By code, name or alias; the caller normalises with normaliseUnitName() on both sides. */
  resolveUnit: (text: string) => UnitResolution;
  problemCatalogue: readonly CatalogueProblem[];
}

export interface ParsedProblem {
  code: string;
  /** The inspector's words for this problem. */
  text: string;
}

export interface ParsedFinding {
  row: number;
  targetKind: TargetKind;
  platform: Platform | null;
  targetName: string;
  url: string | null;
  ownerUnitText: string;
  unitId: number;
  county: string | null;
  problems: ParsedProblem[];
  /** The problem cell as imported. */
  problemsText: string;
  /** YYYY-MM-DD */
  lastUpdatedOn: string | null;
  outstanding: boolean;
  note: string | null;
}

/**
 * Throws ImportFileError (`import.missing_headers`) when a required column is missing. Warnings do
 * not stop the import: they say what was read in a way the importer should check (a problem outside
 * the catalogue, kept as `other` in the inspector's words).
 */
export function parseFindingRows(
  table: TableRows,
  ctx: FindingsParseContext,
): { findings: ParsedFinding[]; errors: ImportRowError[]; warnings: ImportRowError[] } {
  const reader = createFindingsReader(table, ctx, { maxListed: Number.POSITIVE_INFINITY });
  reader.read(table.rows);
  const { findings, errors, warnings } = reader.result();
  return { findings, errors: errors.items, warnings: warnings.items };
}

/**
 * parseFindingRows a part of the table at a time, so that a caller can let other work run between
 * parts (a 200,000-row table takes seconds). Errors and warnings keep the first `maxListed` and
 * count the rest.
 */
export function createFindingsReader(table: Pick<TableRows, 'headers'>, ctx: FindingsParseContext, { maxListed = MAX_LISTED_ERRORS } = {}) {
  const columns = requireColumns(table, findingsTableSpec);
  const readers = createReaders(ctx);
  const findings: ParsedFinding[] = [];
  const errors = createErrorList<ImportRowError>(maxListed);
  const warnings = createErrorList<ImportRowError>(maxListed);
  const firstRowOfTarget = new Map<string, number>();
  const row = rowReader(columns, errors);
  return {
    read(rows: readonly RawRow[]): void {
      for (const raw of rows) {
        row.moveTo(raw);
        const finding = readFinding(row, readers);
        if (finding && !isDuplicate(row, finding, firstRowOfTarget)) {
          findings.push(finding);
          for (const problem of finding.problems) {
            if (problem.code !== OTHER_PROBLEM) continue;
            warnings.push({
              row: finding.row,
              column: row.columnOf('problems'),
              value: problem.text,
              message: `“${problem.text}”不在问题目录中，已按“其他”导入并保留原文；如属目录中的问题，请改用目录中的规范名称`,
            });
          }
        }
      }
    },
    result: () => ({ findings, errors, warnings }),
  };
}

// ---------------------------------------------------------------- one row

/**
 * Reads the cells of the current row and reports its errors. One reader moves down the table rather
 * than one per row: 100,000 rows should not mean 100,000 sets of closures.
 */
function rowReader(columns: ColumnMap<FindingColumn>, errors: Pick<ErrorList<ImportRowError>, 'push'>) {
  let raw: RawRow = { row: 0, values: [] };
  const cell = (key: FindingColumn): Cell | undefined => cellOf(columns, raw, key);
  const columnOf = (key: FindingColumn): string => columnName(columns, findingsTableSpec, key);
  const report = (column: string, value: string, message: string, suggestions?: string[]): void => {
    const error: ImportRowError = { row: raw.row, column, value, message };
    if (suggestions && suggestions.length > 0) error.suggestions = suggestions;
    errors.push(error);
  };
  return {
    moveTo(next: RawRow): void {
      raw = next;
    },
    number: (): number => raw.row,
    cell,
    columnOf,
    report,
    hasColumn: (key: FindingColumn): boolean => columns.positions.has(key),
    text(key: FindingColumn): string | null {
      const found = cell(key);
      return found ? textOf(found.value) : null;
    },
    /** The cell, or an error naming the column when it is empty. */
    required(key: FindingColumn): Cell | undefined {
      const found = cell(key);
      if (!found) report(columnOf(key), '', `${columnOf(key)}不能为空`);
      return found;
    },
  };
}

type RowReader = ReturnType<typeof rowReader>;

type Readers = ReturnType<typeof createReaders>;

/** Lookups that repeat across rows (a notice names a dozen units in thousands of rows) are memoised. */
function createReaders(ctx: FindingsParseContext) {
  const problemLookup = buildProblemLookup(ctx.problemCatalogue);
  return {
    unit: memoize((text: string) => ctx.resolveUnit(text)),
    platform: memoize(lookupPlatform),
    problems: memoize((text: string) => matchProblems(partsOfCell(text, problemLookup), problemLookup)),
    problemList: (parts: string[]) => matchProblems(parts, problemLookup),
    date: memoize((text: string) => parseNoticeDate(text, ctx.year, ctx.notAfter)),
  };
}

function memoize<T>(compute: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    let value = cache.get(text);
    if (value === undefined) {
      value = compute(text);
      cache.set(text, value);
    }
    return value;
  };
}

/** Names longer than this cannot be a real website or account, and would not fit the targets' unique index. */
export const MAX_TARGET_NAME_LENGTH = 500;

function readFinding(row: RowReader, readers: Readers): ParsedFinding | null {
  const nameCell = row.required('targetName');
  const nameLength = nameCell ? [...textOf(nameCell.value)].length : 0;
  if (nameCell && nameLength > MAX_TARGET_NAME_LENGTH) {
    row.report(nameCell.column, `${[...textOf(nameCell.value)].slice(0, 40).join('')}…`, `${nameCell.column}过长（${nameLength} 个字符），不能超过 ${MAX_TARGET_NAME_LENGTH} 个字符`);
    return null;
  }
  const target = readTargetKind(row, readers, nameCell);
  const owner = readOwner(row, readers);
  const problems = readProblems(row, readers);
  const lastUpdatedOn = readDate(row, readers);
  const outstanding = readOutstanding(row);
  if (!nameCell || !target || !owner || !problems || lastUpdatedOn === undefined || outstanding === undefined) return null;
  return {
    row: row.number(),
    targetKind: target.kind,
    platform: target.platform,
    targetName: textOf(nameCell.value),
    url: row.text('url'),
    ownerUnitText: owner.text,
    unitId: owner.unitId,
    county: row.text('county'),
    problems: problems.problems,
    problemsText: problems.text,
    lastUpdatedOn,
    outstanding,
    note: row.text('note'),
  };
}

/**
 * The same target twice in a file: an error on the later row. Identity as in the database's
 * targets_identity_key (kind, platform, exact name, owner unit).
 */
function isDuplicate(row: RowReader, finding: ParsedFinding, seen: Map<string, number>): boolean {
  const key = `${finding.targetKind}\u0000${finding.platform ?? ''}\u0000${finding.unitId}\u0000${finding.targetName}`;
  const first = seen.get(key);
  if (first === undefined) {
    seen.set(key, finding.row);
    return false;
  }
  const what = finding.targetKind === 'website' ? '网站' : '账号';
  row.report(row.columnOf('targetName'), finding.targetName, `与第 ${first} 行重复：同一单位的同一${what}在一个文件中只能出现一次`);
  return true;
}

// ---------------------------------------------------------------- target kind and platform

/** What an 账号类型 cell may say: a platform, or that the target is a website. */
type PlatformWord = Platform | 'website';

const PLATFORM_WORDS: Record<string, PlatformWord> = {
  微信订阅号: 'wechat_subscription',
  微信公众号: 'wechat_subscription',
  公众号: 'wechat_subscription',
  订阅号: 'wechat_subscription',
  微信服务号: 'wechat_service',
  服务号: 'wechat_service',
  微博: 'weibo',
  新浪微博: 'weibo',
  抖音: 'douyin',
  抖音号: 'douyin',
  今日头条: 'toutiao',
  头条号: 'toutiao',
  头条: 'toutiao',
  一点号: 'yidian',
  一点资讯: 'yidian',
  其他: 'other',
  其它: 'other',
  微信视频号: 'wechat_channels',
  视频号: 'wechat_channels',
  快手: 'kuaishou',
  快手号: 'kuaishou',
  小红书: 'xiaohongshu',
  百家号: 'baijiahao',
  哔哩哔哩: 'bilibili',
  b站: 'bilibili',
  小程序: 'mini_program',
  微信小程序: 'mini_program',
  政务app: 'gov_app',
  app: 'gov_app',
  移动客户端: 'gov_app',
  客户端: 'gov_app',
  网站: 'website',
  政府网站: 'website',
  门户网站: 'website',
  website: 'website',
};

const platformByKey = new Map<string, PlatformWord>([
  ...Object.entries(PLATFORM_WORDS).map(([word, platform]): [string, PlatformWord] => [normaliseKey(word), platform]),
  ...platforms.map((p): [string, PlatformWord] => [p, p]),
]);

/** Offered when an 账号类型 is not understood. */
const PLATFORM_CHOICES = ['微信订阅号', '微信服务号', '微博', '抖音', '今日头条', '一点号', '微信视频号', '快手', '小红书', '百家号', '哔哩哔哩', '小程序', '政务App', '其他', '网站'];

/** 微信公众号（订阅号） reads as 微信公众号. */
function lookupPlatform(text: string): PlatformWord | undefined {
  return platformByKey.get(normaliseKey(text)) ?? platformByKey.get(normaliseKey(text.replace(PARENTHESISED, '')));
}

const KIND_WORDS = new Map<string, TargetKind>([
  ['website', 'website'],
  ['网站', 'website'],
  ['政府网站', 'website'],
  ['new_media', 'new_media'],
  ['newmedia', 'new_media'],
  ['新媒体', 'new_media'],
  ['政务新媒体', 'new_media'],
]);

/** Headers that say the row is a new-media account, so an empty 账号类型 is an omission, not a website. */
const ACCOUNT_HEADERS = new Set(['账号名称', '政务新媒体名称', '新媒体名称', '账号'].map(normaliseHeader));

function readTargetKind(
  row: RowReader,
  readers: Readers,
  nameCell: Cell | undefined,
): { kind: TargetKind; platform: Platform | null } | null {
  const explicit = readExplicitKind(row);
  const platformCell = row.cell('platform');
  const word = platformCell ? readPlatform(row, readers, platformCell) : undefined;
  if (explicit === null || word === null) return null;
  if (word === undefined) return kindWithoutPlatform(row, explicit, nameCell);
  const kind: TargetKind = word === 'website' ? 'website' : 'new_media';
  if (explicit && explicit !== kind) {
    const text = textOf(platformCell?.value);
    row.report(row.columnOf('platform'), text, `${row.columnOf('platform')}“${text}”与${row.columnOf('targetKind')}不一致`);
    return null;
  }
  return { kind, platform: word === 'website' ? null : word };
}

/** No 账号类型: a website, unless the row says it is an account (then the type was forgotten). */
function kindWithoutPlatform(
  row: RowReader,
  explicit: TargetKind | undefined,
  nameCell: Cell | undefined,
): { kind: TargetKind; platform: null } | null {
  const header = nameCell ? normaliseHeader(nameCell.column) : '';
  const isAccount = explicit ? explicit === 'new_media' : row.hasColumn('platform') && ACCOUNT_HEADERS.has(header);
  if (!isAccount) return { kind: 'website', platform: null };
  const column = row.columnOf('platform');
  row.report(column, '', `${column}不能为空：政务新媒体须填写账号类型（如 微信订阅号、微博、抖音），网站请填“网站”`);
  return null;
}

/** Undefined when no kind is given; null after reporting a kind that is not understood. */
function readExplicitKind(row: RowReader): TargetKind | undefined | null {
  const cell = row.cell('targetKind');
  if (!cell) return undefined;
  const text = textOf(cell.value);
  const kind = KIND_WORDS.get(normaliseKey(text));
  if (kind) return kind;
  row.report(cell.column, text, `${cell.column}应为“网站”或“政务新媒体”（website / new_media）`);
  return null;
}

function readPlatform(row: RowReader, readers: Readers, cell: Cell): PlatformWord | null {
  const text = textOf(cell.value);
  const word = readers.platform(text);
  if (word) return word;
  const choices = PLATFORM_CHOICES.join('、');
  row.report(cell.column, text, `无法识别的${cell.column}“${text}”，可填：${choices}`, suggestClosest(text, PLATFORM_CHOICES));
  return null;
}

// ---------------------------------------------------------------- unit

function readOwner(row: RowReader, readers: Readers): { text: string; unitId: number } | null {
  const cell = row.required('ownerUnit');
  if (!cell) return null;
  const text = textOf(cell.value);
  const resolution = readers.unit(text);
  if ('unitId' in resolution) return { text, unitId: resolution.unitId };
  const suggestions = resolution.suggestions.slice(0, 3);
  const hint = suggestions.length > 0 ? `，是否为：${suggestions.join('、')}？` : '；请先添加该单位，或把这个名称加为已有单位的别名';
  row.report(cell.column, text, `找不到单位“${text}”（按单位代码、名称或别名查找）${hint}`, suggestions);
  return null;
}

// ---------------------------------------------------------------- problems

const OTHER_PROBLEM = 'other';
const PARENTHESISED = /[(（][^)）]*[)）]/g;
const TRAILING_STOPS = /[。.!！]+$/;

function buildProblemLookup(catalogue: readonly CatalogueProblem[]): Map<string, string> {
  const lookup = new Map<string, string>();
  for (const problem of catalogue) {
    for (const word of [problem.label, ...problem.aliases]) {
      const key = normaliseKey(word);
      if (!lookup.has(key)) lookup.set(key, problem.code);
    }
  }
  return lookup;
}

function lookupProblem(text: string, lookup: Map<string, string>): string | undefined {
  return lookup.get(normaliseKey(text)) ?? lookup.get(normaliseKey(text.replace(PARENTHESISED, '')));
}

// Words that make a phrase a problem of its own (未更新, 无更新, 错误, 缺失, 违规, 偏少 …), as opposed
// to the items of a list inside one problem (机构职能、领导信息、通知公告栏目未按要求更新).
const PROBLEM_WORD = /[不未无没缺差错误失违漏超空乱假]|过期|滞后|偏少|较少|过少|隐患|瑕疵/;

/**
 * A cell split on its separators only when every part is a problem on its own (a catalogue entry,
 * or a phrase saying what is wrong); otherwise the whole cell is one problem.
 */
function partsOfCell(text: string, lookup: Map<string, string>): string[] {
  const parts = splitList(text);
  if (parts.length <= 1) return parts;
  const standalone = (part: string) => lookupProblem(part.replace(TRAILING_STOPS, '').trim(), lookup) !== undefined || PROBLEM_WORD.test(part);
  return parts.every(standalone) ? parts : [text.replace(/[\r\n]+/g, ' ').trim()];
}

/** Each part by label or alias (also without a parenthesised detail); anything else is `other` in the inspector's words. */
function matchProblems(parts: readonly string[], lookup: Map<string, string>): ParsedProblem[] {
  const problems: ParsedProblem[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    const text = part.replace(TRAILING_STOPS, '').trim();
    const key = normaliseKey(text);
    const code = lookupProblem(text, lookup) ?? OTHER_PROBLEM;
    // The same catalogue problem twice in one cell is one problem; different `other` texts are kept apart.
    const identity = code === OTHER_PROBLEM ? `${code}:${key}` : code;
    if (text === '' || seen.has(identity)) continue;
    seen.add(identity);
    problems.push({ code, text });
  }
  return problems;
}

function readProblems(row: RowReader, readers: Readers): { problems: ParsedProblem[]; text: string } | null {
  const cell = row.required('problems');
  if (!cell) return null;
  const text = textOf(cell.value);
  const problems = Array.isArray(cell.value) ? readers.problemList(cell.value) : readers.problems(cell.value);
  if (problems.length === 0) {
    row.report(cell.column, text, `${cell.column}不能为空`);
    return null;
  }
  return { problems: [...problems], text };
}

// ---------------------------------------------------------------- last update date

const MONTH_DAY = /^(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?$/;
const FULL_DATE =
  /^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export type DateResult = { date: string } | { error: string };

/**
 * 4.21, 4月21日, 2021-04-21, 2021/4/21, 2021年4月21日; a month and day alone are in `year`, or in the
 * year before when that date would come after `notAfter` (a notice of January on December's sampling).
 */
export function parseNoticeDate(text: string, year: number, notAfter?: string): DateResult {
  const plain = text.normalize('NFKC').trim();
  const full = FULL_DATE.exec(plain);
  const short = full ? null : MONTH_DAY.exec(plain);
  const parts = full ? [full[1], full[2], full[3]] : short ? [String(year), short[1], short[2]] : null;
  if (!parts) return { error: '无法识别的日期，应写作 4.21、4月21日 或 2021-04-21' };
  const [y0, m, d] = parts.map(Number) as [number, number, number];
  const sameYear = `${String(y0).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const y = short && notAfter && sameYear > notAfter ? y0 - 1 : y0;
  const daysInMonth = m >= 1 && m <= 12 ? new Date(Date.UTC(y, m, 0)).getUTCDate() : 0;
  if (d < 1 || d > daysInMonth) return { error: `日期不存在：${y}年${m}月${d}日` };
  return { date: `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}` };
}

/** Undefined after reporting an error; null when the cell is empty. */
function readDate(row: RowReader, readers: Readers): string | null | undefined {
  const cell = row.cell('lastUpdatedOn');
  if (!cell) return null;
  const text = textOf(cell.value);
  const result = readers.date(text);
  if ('date' in result) return result.date;
  row.report(cell.column, text, `${cell.column}“${text}”：${result.error}`);
  return undefined;
}

// ---------------------------------------------------------------- outstanding flag

const YES = new Set(['是', 'y', 'yes', 'true', '1', '√', '✓', '✔', '单否', '突出', '突出问题']);
const NO = new Set(['否', 'n', 'no', 'false', '0', '×', '✗', '✘', '不是']);

/** Empty means outstanding: the notice lists outstanding problems (突出问题, 单否). Undefined after an error. */
function readOutstanding(row: RowReader): boolean | undefined {
  const cell = row.cell('outstanding');
  if (!cell) return true;
  const text = textOf(cell.value);
  const key = normaliseKey(text);
  if (YES.has(key)) return true;
  if (NO.has(key)) return false;
  row.report(cell.column, text, `${cell.column}应填“是”或“否”`);
  return undefined;
}
