import { describe, expect, it } from 'vitest';
import { feedbackNotificationKinds } from '../../db/schema/notifications.table.js';
import { renderFeedbackMail, type FeedbackMailContext } from '../../notifications/templates/feedback-mail.js';

const context: FeedbackMailContext = {
  feedback: { inspectionId: 1, dueAt: new Date('2021-06-25T15:59:59.999Z'), submittedAt: new Date('2021-06-23T02:00:00Z') },
  inspection: { title: '关于2021年全市政府网站与政务新媒体检查情况的通报', documentNumber: '益政务办发〔2021〕2号', shortCode: '2021-2' },
  unit: { name: '益阳市卫生健康委员会' },
  issuingOffice: { name: '益阳市政务公开政务服务管理办公室' },
  files: ['整改情况报告（盖章）.pdf'],
  note: '已加盖公章。',
  comment: '材料齐全',
  reason: '报告未加盖公章，请盖章后重新报送',
  publicUrl: 'https://rectify.example.gov.cn/',
  at: new Date('2021-06-24T01:00:00Z'),
};

const occurrences = (text: string, words: string) => text.split(words).length - 1;

describe('renderFeedbackMail', () => {
  it.each(feedbackNotificationKinds)('%s: addressed, signed by the office, linking to the inspection', (kind) => {
    const mail = renderFeedbackMail(kind, context);
    expect(mail.text).toContain('益政务办发〔2021〕2号');
    expect(mail.text).toMatch(/益阳市政务公开政务服务管理办公室\n\s*2021年6月24日\n/);
    expect(mail.html).toContain('href="https://rectify.example.gov.cn/inspections/1"');
  });

  it('states the reason of a return once, then asks for the report once, by the deadline', () => {
    const { subject, text, html } = renderFeedbackMail('feedback_returned', context);
    expect(subject).toBe('【书面反馈被退回】益阳市卫生健康委员会：2021-2 整改情况书面报告（请于2021年6月25日前报送）');
    expect(text).toContain('反映问题整改情况书面报告，经审核未达到要求，现予退回。\n　　退回理由：报告未加盖公章，请盖章后重新报送。\n');
    expect(text).toContain('　　请于2021年6月25日（星期五）前将修改完善并加盖公章的书面报告在系统中报送。\n');
    for (const body of [text, html]) {
      expect(occurrences(body, '退回理由')).toBe(1);
      expect(occurrences(body, '重新报送')).toBe(1);
      expect(body).not.toContain('请修改后重新报送');
    }
  });

  it('asks for the report at once when the return comes after the deadline', () => {
    const { subject, text } = renderFeedbackMail('feedback_returned', { ...context, reason: '未逐项说明整改情况。', at: new Date('2021-06-28T02:00:00Z') });
    expect(subject).toContain('（请尽快报送）');
    expect(text).toContain('退回理由：未逐项说明整改情况。\n');
    expect(text).toContain('反馈期限已过，请尽快将修改完善并加盖公章的书面报告在系统中报送。');
    expect(text).not.toContain('请于2021年6月25日');
  });
});
