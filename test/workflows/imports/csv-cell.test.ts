import { describe, expect, it } from 'vitest';
import { csvCell } from '../../../workflows/reports/inspection-report.js';

describe('csvCell', () => {
  it('writes text that a spreadsheet would run as a formula as text', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) {
      const cell = csvCell(`${lead}1+1`);
      expect(cell.replace(/^"/, ''), JSON.stringify(lead)).toMatch(/^'/);
    }
    expect(csvCell('=HYPERLINK("http://evil.example","点此")')).toBe(`"'=HYPERLINK(""http://evil.example"",""点此"")"`);
  });

  it('leaves ordinary text and numbers alone, quoting only what CSV needs', () => {
    expect(csvCell('益阳市卫生健康委员会')).toBe('益阳市卫生健康委员会');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('12.5%')).toBe('12.5%');
    expect(csvCell('甲,乙')).toBe('"甲,乙"');
  });
});
