import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { explainFailure } from '../../server/cli.js';
import { unprocessable } from '../../core/errors.js';
import { repoRoot } from '../helpers/rectify-process.js';
import { migratedPgliteDataDir } from '../helpers/test-database.js';

const run = promisify(execFile);
vi.setConfig({ testTimeout: 120_000 });
// The commands open the embedded database in this folder, a copy of the migrated template.
let dataDir = '';
beforeAll(async () => {
  dataDir = await migratedPgliteDataDir('rectify-cli-import-');
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function rectify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/rectify'), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, RECTIFY_ADMIN_PASSWORD: 'admin-password-for-tests', LOG_LEVEL: 'silent' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('rectify catalogue', () => {
  it('prints every problem with its label, severity and what it applies to', async () => {
    const { code, stdout } = await rectify('catalogue');
    expect(code).toBe(0);
    expect(stdout).toMatch(/poor_interaction\s+互动回应差 {2}\[单项否决; 网站、政务新媒体\]/);
    expect(stdout).toMatch(/site_unreachable\s+站点无法访问 {2}\[单项否决; 网站\]/);
    expect(stdout).toContain('又称：应更新未更新栏目超过10个');
  });
});

describe('rectify import', () => {
  it('says which file is missing, without a stack trace', async () => {
    const { code, stderr } = await rectify('import', '2021-2', 'no-such-file.csv');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('No such file: no-such-file.csv');
  });

  it('refuses an unknown option without a stack trace', async () => {
    const { code, stderr } = await rectify('import', '--dry', '2021-2', 'x.csv');
    expect(code).toBe(1);
    expect(stderr).toContain("Unknown option '--dry'");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('lists the inspections that exist after a wrong code, then imports with a count and the warnings', async () => {
    expect((await rectify('demo')).code).toBe(0);
    const file = path.join(dataDir, 'accounts.csv');
    fs.writeFileSync(file, '序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间\n1,益阳发布,益阳市卫生健康委员会,抖音,,发布内容违规,5.2\n');
    const wrong = await rectify('import', '2021-9', file);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('No inspection "2021-9". Inspections:');
    expect(wrong.stderr).toMatch(/2021-2\s+\(id 1\)\s+关于2021年全市政府网站与政务新媒体检查情况的通报/);

    const done = await rectify('import', '2021-2', file);
    expect(done.code).toBe(0);
    expect(done.stdout.trim()).toBe(`Imported ${file}: 1 tickets created, 0 unchanged, 1 warnings.`);
    expect(done.stderr).toContain('warning: 第 2 行「存在的问题」：“发布内容违规”不在问题目录中');
    // Each run starts a process that opens the embedded database: slow on a busy machine.
  }, 600_000);
});

describe('explainFailure', () => {
  it('prints each import error with its row and column', () => {
    const error = unprocessable('import.invalid_rows', '文件中有 1 处错误', { errors: [{ row: 4, column: '开设主体', value: '市某局', message: '找不到单位“市某局”' }] });
    expect(explainFailure(error)).toContain('  - 第 4 行「开设主体」：找不到单位“市某局”');
  });
});
