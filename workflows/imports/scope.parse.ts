import type { InspectionScopeGroup } from '../../db/schema/index.js';
import { cellOf, requireColumns, textOf, type TableRows, type TableSpec } from './decode-table.js';
import { ImportFileError, type ImportRowError } from './import.errors.js';

/**
 * Reads the notice's 附件1 (全市政府网站检查情况: 序号, 单位, 实际运行网站数, 检查网站数, 发现存在突出问题的网站)
 * or 附件2 (全市政务新媒体检查情况: 序号, 单位, 政务新媒体数, 发现存在突出问题的政务新媒体数) into the
 * inspection's scope. A table with both 检查网站数 and 政务新媒体数 gives both kinds per group. The 合计 row
 * and the second header row of the notice's two-row headings are skipped; every bad cell is reported.
 */

export type ScopeColumn = 'no' | 'group' | 'websites' | 'newMedia' | 'failed';

export const scopeTableSpec: TableSpec<ScopeColumn> = {
  jsonKey: 'scope',
  columns: [
    { key: 'no', label: '序号', headers: ['序号'] },
    { key: 'group', label: '单位', required: true, headers: ['单位', '分组', '地区', 'group'] },
    { key: 'websites', label: '检查网站数', headers: ['检查网站数', '检查网站', 'websites'] },
    { key: 'newMedia', label: '政务新媒体数', headers: ['政务新媒体数', '检查政务新媒体数', '政务新媒体', 'newMedia'] },
    {
      key: 'failed',
      label: '发现存在突出问题的网站数（或政务新媒体数）',
      headers: [
        '发现存在突出问题的网站数',
        '发现存在突出问题的网站',
        '发现存在突出问题的政务新媒体数',
        '发现存在突出问题的',
        '存在突出问题的网站数',
        '存在突出问题的政务新媒体数',
        '存在突出问题',
        'failed',
      ],
    },
  ],
};

const kindColumns = [
  ['websites', 'website'],
  ['newMedia', 'new_media'],
] as const;
const TOTAL = /^(合计|总计|小计|全市合计)$/;
const COUNT = /^\d{1,7}$/;

export interface ParsedScope {
  /** The kinds the table gives: the caller replaces the inspection's scope of exactly these. */
  kinds: InspectionScopeGroup['targetKind'][];
  groups: InspectionScopeGroup[];
  errors: ImportRowError[];
}

export function parseScopeRows(table: TableRows): ParsedScope {
  const columns = requireColumns(table, scopeTableSpec);
  const present = kindColumns.filter(([key]) => columns.positions.has(key));
  if (present.length === 0) {
    throw new ImportFileError('import.missing_headers', '表格缺少检查数的列：附件1 为「检查网站数」，附件2 为「政务新媒体数」', {
      missing: kindColumns.map(([key]) => scopeTableSpec.columns.find((c) => c.key === key)).flatMap((c) => (c ? [{ label: c.label, headers: c.headers }] : [])),
    });
  }
  // 发现存在突出问题的… belongs to the table's one kind; a table of both kinds leaves failures to the findings.
  const failedKind = present.length === 1 ? present[0]?.[1] : undefined;
  const groups: InspectionScopeGroup[] = [];
  const errors: ImportRowError[] = [];
  const seen = new Set<string>();
  for (const row of table.rows) {
    const group = textOf(cellOf(columns, row, 'group')?.value).trim();
    const no = textOf(cellOf(columns, row, 'no')?.value).trim();
    if (TOTAL.test(group.replace(/\s+/g, '')) || TOTAL.test(no.replace(/\s+/g, ''))) continue;
    const counts = present.map(([key, kind]) => ({ kind, cell: cellOf(columns, row, key) }));
    if (!group) {
      // The notice's second heading row (网站数, 占检查数比例) and blank lines carry no counts.
      if (counts.some((c) => COUNT.test(textOf(c.cell?.value).trim()))) {
        errors.push({ row: row.row, column: '单位', value: '', message: '单位（分组）不能为空，如 市直部门、区县(市)、南县' });
      }
      continue;
    }
    const failedCell = cellOf(columns, row, 'failed');
    for (const { kind, cell } of counts) {
      const text = textOf(cell?.value).trim();
      if (text === '') continue;
      const column = cell?.column ?? '';
      if (!COUNT.test(text)) {
        errors.push({ row: row.row, column, value: text, message: '检查数应为不小于 0 的整数' });
        continue;
      }
      const key = `${kind}\u0000${group}`;
      if (seen.has(key)) {
        errors.push({ row: row.row, column: '单位', value: group, message: `「${group}」在表中出现了两次，每个分组只填一行` });
        continue;
      }
      seen.add(key);
      const entry: InspectionScopeGroup = { group, targetKind: kind, checked: Number(text) };
      const failedText = kind === failedKind ? textOf(failedCell?.value).trim() : '';
      if (failedText !== '') {
        if (!COUNT.test(failedText)) errors.push({ row: row.row, column: failedCell?.column ?? '', value: failedText, message: '存在突出问题的数量应为不小于 0 的整数' });
        else if (Number(failedText) > entry.checked) errors.push({ row: row.row, column: failedCell?.column ?? '', value: failedText, message: `存在突出问题的数量不能多于检查数（${entry.checked}）` });
        else entry.failed = Number(failedText);
      }
      groups.push(entry);
    }
  }
  if (groups.length === 0 && errors.length === 0) throw new ImportFileError('import.no_rows', '表格中没有分组的检查数');
  return { kinds: present.map(([, kind]) => kind), groups, errors };
}
