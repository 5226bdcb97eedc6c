import { AppError, type FieldError } from '../../core/errors.js';

/**
 * What one import may hold, checked while the file is read and before the rows are parsed: a small
 * upload must not be able to make the server inflate, hold or list gigabytes.
 */
export interface ImportLimits {
  /** Data rows (below the header) of one table: `IMPORT_MAX_ROWS`. */
  maxRows: number;
  /** Characters in one cell. */
  maxCellLength: number;
  /** Bytes an XLSX may inflate to, all its parts together. */
  maxUncompressedBytes: number;
  /** Nesting of a JSON file. */
  maxJsonDepth: number;
}

/** Excel's own limit on the characters in a cell. */
export const EXCEL_MAX_CELL_LENGTH = 32_767;
export const DEFAULT_IMPORT_MAX_ROWS = 200_000;
/** A notice's table of 200,000 rows inflates to about 100 MB of XML; twice that leaves room for styles. */
export const MAX_XLSX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024;
/** Deeper than any import (3 levels), as the request guard has it. */
export const MAX_IMPORT_JSON_DEPTH = 32;
/** The largest import file (CSV, XLSX, JSON, raw or in a form). */
export const IMPORT_MAX_BYTES = 50 * 1024 * 1024;
/** An answer lists at most this many row errors (and warnings), with the total beside them. */
export const MAX_LISTED_ERRORS = 1_000;

export function importLimits(overrides: Partial<ImportLimits> = {}): ImportLimits {
  return {
    maxRows: DEFAULT_IMPORT_MAX_ROWS,
    maxCellLength: EXCEL_MAX_CELL_LENGTH,
    maxUncompressedBytes: MAX_XLSX_UNCOMPRESSED_BYTES,
    maxJsonDepth: MAX_IMPORT_JSON_DEPTH,
    ...overrides,
  };
}

const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

/** Every limit answer has the same shape: the code names the limit, `limit` gives its value. */
function limitError(status: 413 | 422, code: string, title: string, detail: string, limit: number, errors?: FieldError[]): AppError {
  return new AppError({ status, code, title, detail, extra: { limit }, ...(errors ? { errors } : {}) });
}

export const tooManyRows = (limit: number) =>
  limitError(413, 'import.too_many_rows', '导入文件行数过多', `一个文件最多 ${limit.toLocaleString('en-US')} 行数据，请分成几个文件导入。`, limit);

export const tooLargeUncompressed = (limit: number) =>
  limitError(413, 'import.too_large_uncompressed', '导入文件解压后过大', `Excel 文件解压后不能超过 ${megabytes(limit)}，请删去多余的工作表或分成几个文件导入。`, limit);

export const tooLargeFile = (limit: number) =>
  limitError(413, 'import.too_large', '导入文件过大', `导入文件不能超过 ${megabytes(limit)}，请分成几个文件导入。`, limit, [{ field: 'file', message: `不能超过 ${megabytes(limit)}` }]);

/** `where` names the cell when it is known (CSV, JSON); in an XLSX the overlong text is found before the cells are. */
export const cellTooLong = (limit: number, where?: { row: number; column: string }) =>
  limitError(
    422,
    'import.cell_too_long',
    '单元格内容过长',
    `${where ? `第 ${where.row} 行「${where.column}」` : '文件中有单元格'}超过 ${limit.toLocaleString('en-US')} 个字符（Excel 单元格的上限），请检查后重新导入。`,
    limit,
    where ? [{ row: where.row, column: where.column, message: `超过 ${limit} 个字符` }] : undefined,
  );

export const jsonTooDeep = (limit: number) => limitError(422, 'import.too_deep', '导入文件嵌套过深', `JSON 嵌套不能超过 ${limit} 层。`, limit);

/**
 * Collects row errors (or warnings) keeping the first MAX_LISTED_ERRORS and counting them all: a
 * million bad rows are a count, not a 100 MB answer.
 */
export function createErrorList<T>(cap = MAX_LISTED_ERRORS) {
  const items: T[] = [];
  let total = 0;
  return {
    items,
    push(item: T): void {
      total++;
      if (items.length < cap) items.push(item);
    },
    get total(): number {
      return total;
    },
  };
}

export type ErrorList<T> = ReturnType<typeof createErrorList<T>>;

/** The first MAX_LISTED_ERRORS of a list and its length. */
export function capped<T>(list: readonly T[], total = list.length): { items: T[]; total: number } {
  return { items: list.slice(0, MAX_LISTED_ERRORS), total };
}
