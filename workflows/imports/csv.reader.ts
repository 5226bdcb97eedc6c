import { CsvError, parse } from 'csv-parse/sync';
import { isBlank, MAX_HEADER_SCAN, type GridRow } from './grid.js';
import { ImportFileError } from './import.errors.js';
import { cellTooLong, tooManyRows, type ImportLimits } from './import-limits.js';

// CSV text (already decoded from UTF-8 or GB18030) into numbered rows of cells.

const SEP_HINT = /^sep=(.)\r?$/i;
const DELIMITERS = [',', '\t', ';'] as const;

/**
 * csv-parse reads the records (RFC 4180: doubled quotes, line breaks inside quoted cells). Every
 * line is a record, empty ones included, so counting records gives the row number; empty ones are
 * then dropped. The row limit and the cell length are checked on each record as it is read. A quote
 * that does not open its cell stays literal text, as in Excel (`relax_quotes`).
 */
export function parseCsv(source: string, limits: ImportLimits): GridRow[] {
  // Old Mac Excel ends lines with a lone CR.
  const text = source.includes('\n') ? source : source.replaceAll('\r', '\n');
  const firstBreak = text.indexOf('\n');
  const hint = SEP_HINT.exec(firstBreak === -1 ? text : text.slice(0, firstBreak));
  // The sep= line is not a row of the table.
  const body = hint ? (firstBreak === -1 ? '' : text.slice(firstBreak + 1)) : text;
  // A file with more rows of content than a table may have (title rows allowed for) is refused as
  // soon as the reader gets there.
  const maxFilled = limits.maxRows + MAX_HEADER_SCAN;
  let line = 0;
  const lines: number[] = [];
  let records: string[][];
  try {
    records = parse(body, {
      delimiter: hint?.[1] ?? detectDelimiter(body),
      // A lone CR inside a line is text (and trimmed away at the end of a cell), as before.
      record_delimiter: ['\r\n', '\n'],
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      // Allows spaces between a closing quote and the delimiter; cells are trimmed anyway.
      rtrim: true,
      on_record: (cells) => {
        line++;
        if (isBlank(cells)) return null;
        if (lines.push(line) > maxFilled) throw tooManyRows(limits.maxRows);
        const long = cells.findIndex((cell) => cell.length > limits.maxCellLength);
        if (long !== -1) throw cellTooLong(limits.maxCellLength, { row: line, column: `第 ${long + 1} 列` });
        return cells;
      },
    });
  } catch (cause) {
    throw csvError(cause);
  }
  return records.map((cells, index) => ({ row: lines[index] ?? index + 1, cells }));
}

/** The delimiter used most in the first line that has any; comma wins ties. */
function detectDelimiter(text: string): string {
  for (const line of text.split('\n', MAX_HEADER_SCAN)) {
    const counts = DELIMITERS.map((d) => line.split(d).length - 1);
    const best = Math.max(...counts);
    if (best > 0) return DELIMITERS[counts.indexOf(best)] ?? ',';
  }
  return ',';
}

/** csv-parse's error as an ImportFileError naming the row (records read before the bad one + 1). */
function csvError(cause: unknown): unknown {
  if (!(cause instanceof CsvError)) return cause;
  const row = typeof cause.records === 'number' ? cause.records + 1 : undefined;
  const where = row === undefined ? 'CSV 文件' : `CSV 第 ${row} 行`;
  const message =
    cause.code === 'CSV_QUOTE_NOT_CLOSED'
      ? `${where}的引号没有闭合，请检查该行的单元格`
      : cause.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE'
        ? `${where}有单元格在右引号之后还有文字，请把整个单元格放进引号内，或去掉引号`
        : `${where}无法读取（${cause.message}），请检查该行的单元格`;
  return new ImportFileError('import.unreadable', message, { cause });
}
