import { AppError } from '../../core/errors.js';

export type ImportFileErrorCode =
  | 'import.empty_file'
  | 'import.no_rows'
  | 'import.unreadable'
  | 'import.unsupported_format'
  | 'import.missing_headers';

/** A required column the file lacks: how messages name it, and the headers that would be accepted. */
export interface MissingColumn {
  label: string;
  headers: readonly string[];
}

/**
 * The file as a whole cannot be imported (nothing in it, not a table, required columns missing).
 * An AppError (422) so the one error handler renders it as problem+json without special cases.
 */
export class ImportFileError extends AppError {
  declare readonly code: ImportFileErrorCode;
  /** For `import.missing_headers`: the required columns not found, by their usual Chinese header. */
  readonly missing: string[];

  constructor(code: ImportFileErrorCode, message: string, options: { missing?: MissingColumn[]; cause?: unknown } = {}) {
    const missing = options.missing ?? [];
    super({
      status: 422,
      code,
      title: '导入文件无法处理',
      detail: message,
      // One entry per missing column, so a client can point at each as it does at a bad cell.
      ...(missing.length > 0
        ? { errors: missing.map(({ label, headers }) => ({ column: label, message: `缺少必需的列「${label}」；可用的表头：${headers.join('、')}。` })) }
        : {}),
      cause: options.cause,
    });
    this.name = 'ImportFileError';
    this.missing = missing.map((c) => c.label);
  }
}

/** One problem in one cell; the same shape as a problem+json `errors` entry (core/errors.ts FieldError). */
export interface ImportRowError {
  /** The row number as Excel shows it (see decode-table.ts). */
  row: number;
  /** The column header as the file names it, e.g. 开设主体. */
  column: string;
  value: string;
  /** Chinese, says what is wrong and what would be accepted. */
  message: string;
  suggestions?: string[];
}
