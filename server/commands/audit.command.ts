import { eq } from 'drizzle-orm';
import { createDatabase } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import { tickets } from '../../db/schema/index.js';
import type { ChainBreak } from '../../workflows/audit-chain.js';
import type { Config } from '../config.js';
import { createServices } from '../services.js';
import { filesIn } from '../../storage/folder.driver.js';

/** Where the command writes (the same shape as the other commands' io). */
export interface AuditCommandIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: AuditCommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

const problems: Record<ChainBreak['problem'], { zh: string; en: string }> = {
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
};

/**
 * `rectify audit verify`: walks every ticket's hash-chained audit trail and reports the first break.
 * Returns the exit code: 0 when the trail is intact, 1 when it is not.
 */
export async function runAuditVerify(config: Config, io: AuditCommandIo = consoleIo): Promise<number> {
  // On the embedded database this refuses to run beside the server, saying what to do instead.
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command: 'rectify audit verify' });
  try {
    await migrate(database);
    const services = createServices({ database, publicUrl: config.publicUrl, mailFrom: config.mailFrom, now: () => new Date(), files: filesIn(config) });
    const { checkedEvents, checkedTickets, firstBreak } = await services.ticketEvents.verifyChains();
    if (!firstBreak) {
      const feedback = await services.feedbacks.verifyChains();
      if (feedback.firstBreak) {
        const { feedbackId, seq, problem } = feedback.firstBreak;
        io.err(`审计记录校验未通过：书面反馈（id ${feedbackId}）的第 ${seq} 条记录${problems[problem].zh}（${problem}）。`);
        io.err(`Audit trail broken: written feedback id ${feedbackId}, event seq ${seq}: ${problems[problem].en} (${problem}).`);
        return 1;
      }
      // The trails record each file's SHA-256 under the chain: the stored bytes must still have it.
      const files = await services.attachments.verifyRecorded();
      if (files.firstProblem) {
        const { trail, ownerId, seq, file, problem } = files.firstProblem;
        const zhOwner = trail === 'ticket' ? `工单 id ${ownerId}` : `书面反馈 id ${ownerId}`;
        const zhProblem = problem === 'missing' ? '在文件存储中找不到' : '内容已被改动，与记录的 SHA-256 不符';
        io.err(`审计记录校验未通过：${zhOwner} 第 ${seq} 条记录引用的附件“${file.name}”（${file.id}）${zhProblem}。`);
        io.err(`Audit trail broken: ${trail} id ${ownerId}, event seq ${seq}: file ${file.id} "${file.name}" is ${problem === 'missing' ? 'missing from the file store' : 'changed: its bytes no longer have the recorded SHA-256'} (file_${problem}).`);
        return 1;
      }
      io.out(
        `Audit trail intact: ${checkedEvents} events in ${checkedTickets} tickets, ${feedback.checkedEvents} events in ${feedback.checkedFeedbacks} written feedbacks, ${files.checkedFiles} ${files.checkedFiles === 1 ? 'file' : 'files'}.`,
      );
      return 0;
    }
    const [ticket] = await services.db.select({ number: tickets.number }).from(tickets).where(eq(tickets.id, firstBreak.ticketId)).limit(1);
    const zhTicket = ticket ? `工单 ${ticket.number}（id ${firstBreak.ticketId}）` : `工单 id ${firstBreak.ticketId}`;
    const enTicket = ticket ? `ticket ${ticket.number} (id ${firstBreak.ticketId})` : `ticket id ${firstBreak.ticketId}`;
    const problem = problems[firstBreak.problem];
    io.err(`审计记录校验未通过：${zhTicket} 的第 ${firstBreak.seq} 条记录${problem.zh}（${firstBreak.problem}）。`);
    io.err(`Audit trail broken: ${enTicket}, event seq ${firstBreak.seq}: ${problem.en} (${firstBreak.problem}).`);
    io.err(`Checked ${checkedEvents} events in ${checkedTickets} tickets before the first break.`);
    return 1;
  } finally {
    await database.close();
  }
}
