import { createDatabase } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import type { AuditProblem } from '../../workflows/admin/audit.service.js';
import { loadAuditKey } from '../audit-key.js';
import type { Config } from '../config.js';
import { createServices } from '../services.js';
import { filesIn } from '../../storage/folder.driver.js';

/** Where the command writes (the same shape as the other commands' io). */
export interface AuditCommandIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: AuditCommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const problems: Record<Exclude<AuditProblem['problem'], 'file_missing' | 'file_changed'>, { zh: string; en: string }> = {
  hash_mismatch: {
    zh: '内容与其哈希值不符，该记录在写入后被改动过',
    en: 'its content does not match its hash: the row was changed after it was written',
  },
  prev_hash_mismatch: {
    zh: '与上一条记录的哈希链接断开，上一条记录被改动或替换过',
    en: 'its link to the previous row is broken: the previous row was changed or replaced',
  },
  seq_gap: {
    zh: '序号不连续，前面有记录被删除',
    en: 'the sequence has a gap before it: a row was deleted',
  },
  unkeyed: {
    zh: '未用审计密钥签署，该记录在启用密钥后被改写过',
    en: 'it is not signed with the audit key although it was written after the key: the row was rewritten',
  },
  events_missing: {
    zh: '及其后的记录缺失，记录被删除过',
    en: 'is missing, with any after it: events were deleted',
  },
  tail_mismatch: {
    zh: '不是该对象登记的最后一条记录，记录被替换或增补过',
    en: 'is not the last event its owner records: events were replaced or added',
  },
  state_mismatch: {
    zh: '之后的状态与当前状态不符，状态未经记录被改动过',
    en: 'does not lead to the current state: the state was changed without an event',
  },
};

/** The report of one problem, in Chinese and English. */
function describe(p: AuditProblem): { zh: string; en: string } {
  const zhOwner = p.trail === 'ticket' ? (p.number ? `工单 ${p.number}（id ${p.id}）` : `工单 id ${p.id}`) : `书面反馈（id ${p.id}）`;
  const enOwner = p.trail === 'ticket' ? (p.number ? `ticket ${p.number} (id ${p.id})` : `ticket id ${p.id}`) : `written feedback id ${p.id}`;
  const zhSeq = p.seq === null ? '初始记录' : `第 ${p.seq} 条记录`;
  const enSeq = p.seq === null ? 'its initial state' : `event seq ${p.seq}`;
  if (p.problem === 'file_missing' || p.problem === 'file_changed') {
    const file = p.file ?? { id: '?', name: '?' };
    const zhProblem = p.problem === 'file_missing' ? '在文件存储中找不到' : '内容已被改动，与记录的 SHA-256 不符';
    const enProblem = p.problem === 'file_missing' ? 'missing from the file store' : 'changed: its bytes no longer have the recorded SHA-256';
    return {
      zh: `审计记录校验未通过：${zhOwner} ${zhSeq}引用的附件“${file.name}”（${file.id}）${zhProblem}（${p.problem}）。`,
      en: `Audit trail broken: ${enOwner}, ${enSeq}: file ${file.id} "${file.name}" is ${enProblem} (${p.problem}).`,
    };
  }
  const text = problems[p.problem];
  return {
    zh: `审计记录校验未通过：${zhOwner} 的${zhSeq}${text.zh}（${p.problem}）。`,
    en: `Audit trail broken: ${enOwner}, ${enSeq}: ${text.en} (${p.problem}).`,
  };
}

/**
 * `rectify audit verify`: checks every ticket and written feedback against its hash-chained audit
 * trail (each link under the audit key, the tail the owner records, its state) and the evidence
 * files the trails name; reports every problem found. Returns the exit code: 0 when intact, 1 when not.
 */
export async function runAuditVerify(config: Config, io: AuditCommandIo = consoleIo): Promise<number> {
  // On the embedded database this refuses to run beside the server, saying what to do instead.
  const database = await createDatabase({ databaseUrl: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, command: 'rectify audit verify' });
  try {
    await migrate(database);
    const services = createServices({ database, publicUrl: config.publicUrl, mailFrom: config.mailFrom, now: () => new Date(), files: filesIn(config), auditKey: loadAuditKey(config) });
    const report = await services.audit.verify();
    if (report.intact) {
      io.out(
        `Audit trail intact: ${report.checkedTicketEvents} events in ${report.checkedTickets} tickets, ${report.checkedFeedbackEvents} events in ${report.checkedFeedbacks} written feedbacks, ${report.checkedFiles} ${report.checkedFiles === 1 ? 'file' : 'files'}.`,
      );
      return 0;
    }
    for (const problem of report.problems) {
      const { zh, en } = describe(problem);
      io.err(zh);
      io.err(en);
    }
    if (report.totalProblems > report.problems.length) io.err(`… and ${report.totalProblems - report.problems.length} more problems.`);
    io.err(`Checked ${report.checkedTicketEvents} events in ${report.checkedTickets} tickets and ${report.checkedFeedbackEvents} events in ${report.checkedFeedbacks} written feedbacks: ${report.totalProblems} ${report.totalProblems === 1 ? 'problem' : 'problems'}.`);
    return 1;
  } finally {
    await database.close();
  }
}
