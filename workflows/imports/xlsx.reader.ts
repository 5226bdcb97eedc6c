// Types only: exceljs is loaded when a workbook is read, not with the server (it adds some 15 MB).
import type ExcelJS from 'exceljs';
import type { GridRow } from './grid.js';
import { ImportFileError } from './import.errors.js';
import { cellTooLong, type ImportLimits } from './import-limits.js';

// An XLSX workbook (its parts already checked by xlsx-parts.ts) into numbered rows of the cells' text.

/** Every sheet of a workbook as numbered rows of the cells' text. */
export async function readXlsxSheets(bytes: Buffer, limits: ImportLimits): Promise<GridRow[][]> {
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    // exceljs types its input as an ArrayBuffer; a copy of an upload is cheap next to unzipping it.
    await workbook.xlsx.load(new Uint8Array(bytes).buffer);
  } catch (cause) {
    throw new ImportFileError('import.unreadable', '无法读取 Excel 文件，文件可能已损坏；请另存为 .xlsx 或 CSV 后再试', { cause });
  }
  return workbook.worksheets.map((sheet) => sheetGrid(sheet, limits.maxCellLength));
}

function sheetGrid(sheet: ExcelJS.Worksheet, maxCellLength: number): GridRow[] {
  const grid: GridRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      const text = cellText(cell.value, cell.numFmt);
      if (text.length > maxCellLength) throw cellTooLong(maxCellLength, { row: rowNumber, column: cell.address });
      cells[column - 1] = text;
    });
    grid.push({ row: rowNumber, cells: Array.from(cells, (c) => c ?? '') });
  });
  return grid;
}

const FIXED_DECIMALS = /^0\.(0+)$/;
const PERCENT = /^0(?:\.(0+))?%$/;

/** The text the user sees in the cell, as far as it matters for an import. */
function cellText(value: ExcelJS.CellValue, numFmt: string | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value, numFmt);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value);
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  // A hyperlink's text may itself be rich text.
  if ('hyperlink' in value) return cellText(value.text, numFmt);
  if ('error' in value) return value.error;
  return cellText(value.result, numFmt);
}

/**
 * Excel stores 4.21 as a binary double that may read back as 4.2099999999999991; 15 significant
 * digits is what Excel itself shows. A fixed-decimals format keeps the zeros the user typed (5.10).
 */
function numberText(value: number, numFmt: string | undefined): string {
  const fixed = numFmt ? FIXED_DECIMALS.exec(numFmt) : null;
  if (fixed) return value.toFixed(fixed[1]?.length ?? 0);
  const percent = numFmt ? PERCENT.exec(numFmt) : null;
  if (percent) return `${(value * 100).toFixed(percent[1]?.length ?? 0)}%`;
  return String(Number(value.toPrecision(15)));
}

/** exceljs gives Excel dates as UTC instants; round away the float noise of the serial number. */
function dateText(value: Date): string {
  const time = value.getTime();
  if (Number.isNaN(time)) return '';
  const iso = new Date(Math.round(time / 1000) * 1000).toISOString();
  const clock = iso.slice(11, 19);
  return clock === '00:00:00' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${clock}`;
}
