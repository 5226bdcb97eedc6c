import { findingsTableSpec } from './findings.parse.js';
import { unitsTableSpec } from './units.parse.js';
import type { TableSpec } from './decode-table.js';

/**
 * Blank tables for the two imports, headed as the notice's attachments are (each column's first
 * accepted header, derived from the parsers' specs) with example rows to overwrite.
 */
interface ImportTemplate {
  spec: TableSpec;
  examples: Partial<Record<string, string>>[];
}

export const importTemplates: Record<'findings' | 'units', ImportTemplate> = {
  findings: {
    spec: findingsTableSpec,
    examples: [
      { no: '1', targetName: '益阳市水利局网站', ownerUnit: '益阳市水利局', platform: '网站', problems: '应更新未更新栏目超过10个', outstanding: '是', targetKind: '网站' },
      { no: '2', targetName: '健康益阳', ownerUnit: '益阳市卫生健康委员会', platform: '微信订阅号', problems: '互动回应差，监测时间点前2周内无更新', lastUpdatedOn: '4.21', outstanding: '是', targetKind: '政务新媒体' },
      { no: '3', targetName: '桃江县数据资源服务中心', ownerUnit: '桃江县数据资源服务中心', platform: '微信订阅号', county: '桃江县', problems: '账号信息错误', outstanding: '否', targetKind: '政务新媒体', note: '录入全国政务新媒体信息报送系统的账号信息有误' },
    ],
  },
  units: {
    spec: unitsTableSpec,
    examples: [
      { code: 'YY-WJW', name: '益阳市卫生健康委员会', aliases: '市卫生健康委、市卫健委', kind: '市直部门', parent: 'YY-ZWB', emails: 'wjw@example.gov.cn', leaderEmails: 'wjw-zr@example.gov.cn, wjw-fg@example.gov.cn', contactName: '张三', contactPhone: '0737-0000000' },
      { code: 'TJ', name: '桃江县人民政府办公室', aliases: '桃江县', kind: '区县', parent: 'YY-ZWB', emails: 'tj@example.gov.cn', leaderEmails: 'tj-zr@example.gov.cn' },
    ],
  },
};

export type ImportTemplateName = keyof typeof importTemplates;

const csvCell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** UTF-8 with a BOM, so Excel and WPS on Chinese Windows open it as it is. */
export function importTemplateCsv(name: ImportTemplateName): string {
  const { spec, examples } = importTemplates[name];
  const header = spec.columns.map((c) => c.headers[0] ?? c.label);
  const rows = examples.map((example) => spec.columns.map((c) => example[c.key] ?? ''));
  return `\uFEFF${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
