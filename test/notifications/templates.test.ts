import { describe, expect, it } from 'vitest';
import { ticketNotificationKinds as notificationKinds, type TicketNotificationKind as NotificationKind } from '../../db/schema/notifications.table.js';
import { renderTicketMail, type TicketMailContext } from '../../notifications/templates/ticket-mail.js';

const context: TicketMailContext = {
  ticket: { id: 17, number: '2021-2-003', state: 'issued', dueAt: new Date('2021-06-25T15:59:59.999Z'), escalationLevel: 0 },
  inspection: { title: '全市政府网站与政务新媒体检查情况通报', documentNumber: '益政务办发〔2021〕2号', shortCode: '2021-2' },
  target: { kind: 'new_media', platform: 'wechat_subscription', name: '健康益阳' },
  problems: [{ code: 'poor_interaction', label: '互动回应差' }],
  unit: { name: '益阳市卫生健康委员会' },
  publicUrl: 'https://rectify.example.gov.cn/',
};

function render(kind: NotificationKind, change: Partial<TicketMailContext> = {}) {
  return renderTicketMail(kind, { ...context, ...change });
}

describe('renderTicketMail', () => {
  it('writes the issue notice the way the officer needs it at a glance', () => {
    const mail = render('issued');
    expect(mail.subject).toBe('【整改通知】2021-2-003 健康益阳：互动回应差（6月25日前反馈）');
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('2021-2-003');
      expect(body).toContain('全市政府网站与政务新媒体检查情况通报（益政务办发〔2021〕2号）');
      expect(body).toContain('健康益阳（微信订阅号）');
      expect(body).toContain('互动回应差');
      expect(body).toContain('待签收');
      expect(body).toContain('2021年6月25日（星期五）');
      expect(body).toContain('请登录系统签收工单');
      expect(body).toContain('https://rectify.example.gov.cn/tickets/17');
    }
    expect(mail.text).toMatch(/^益阳市卫生健康委员会：/);
    expect(mail.html).toContain('href="https://rectify.example.gov.cn/tickets/17"');
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
  });

  it.each([
    ['issued', {}, '【整改通知】2021-2-003 健康益阳：互动回应差（6月25日前反馈）'],
    ['reminder', { daysBefore: 1 }, '【整改提醒】2021-2-003 健康益阳：互动回应差（还剩1个工作日）'],
    ['escalation', { level: 1, overdueWorkingDays: 1 }, '【催办】2021-2-003 健康益阳：互动回应差（已逾期1个工作日）'],
    ['submitted', { feedback: '已安排专人每日回复留言' }, '【整改已提交】2021-2-003 健康益阳：互动回应差（请核验）'],
    ['rejected', { reason: '仍有留言未回复' }, '【整改被退回】2021-2-003 健康益阳：互动回应差（请6月25日前重新提交）'],
    ['verified', {}, '【整改已核销】2021-2-003 健康益阳：互动回应差'],
    ['withdrawn', { reason: '复核后问题不成立' }, '【工单已撤销】2021-2-003 健康益阳：互动回应差（无需整改）'],
    ['reassigned', { previousUnitName: '益阳市人民政府办公室' }, '【工单已转办】2021-2-003 健康益阳：互动回应差（6月25日前反馈）'],
    ['extended', { previousDueAt: new Date('2021-06-20T15:59:59.999Z') }, '【期限已调整】2021-2-003 健康益阳：互动回应差（调整为6月25日）'],
    ['verify_reminder', {}, '【待核验提醒】2021-2-003 健康益阳：互动回应差（单位已提交，请尽快核验）'],
    ['reassigned_away', { previousUnitName: '益阳市人民政府办公室', newUnitName: '益阳市卫生健康委员会' }, '【工单已转办】2021-2-003 健康益阳：互动回应差（无需再反馈）'],
    ['extension_requested', { requestedUntil: '2021-07-09', reason: '需采购服务' }, '【延期申请】2021-2-003 健康益阳：互动回应差（申请延期至7月9日）'],
    ['extension_approved', { requestedUntil: '2021-07-09' }, '【同意延期】2021-2-003 健康益阳：互动回应差（6月25日前反馈）'],
    ['extension_refused', { reason: '理由不充分' }, '【不同意延期】2021-2-003 健康益阳：互动回应差（仍须6月25日前反馈）'],
  ] as const)('gives %s its own subject', (kind, details, subject) => {
    expect(render(kind, { details }).subject).toBe(subject);
  });

  it('renders every kind with the shared facts, a next step and the link', () => {
    for (const kind of notificationKinds) {
      const mail = render(kind);
      expect(mail.subject).toContain('2021-2-003 健康益阳');
      for (const body of [mail.text, mail.html]) {
        expect(body).toContain('工单编号');
        expect(body).toContain('下一步：');
        expect(body).toContain('2021年6月25日（星期五）');
        expect(body).toContain('https://rectify.example.gov.cn/tickets/17');
      }
    }
  });

  it('puts what the event carried into the body', () => {
    const rejected = render('rejected', { ticket: { ...context.ticket, state: 'acknowledged' }, details: { reason: '仍有3条留言未回复' } });
    expect(rejected.text).toContain('退回理由：仍有3条留言未回复');
    expect(rejected.text).toContain('已签收，整改中');

    const submitted = render('submitted', {
      ticket: { ...context.ticket, state: 'rectified' },
      details: { feedback: '已安排专人回复\n历史留言已全部处理', evidence: ['https://example.gov.cn/shot.png', 'attachment-12'] },
    });
    expect(submitted.text).toMatch(/^您好：/);
    expect(submitted.text).toContain('益阳市卫生健康委员会已提交');
    expect(submitted.text).toContain('整改情况：已安排专人回复\n  历史留言已全部处理');
    expect(submitted.html).toContain('已安排专人回复<br>历史留言已全部处理');
    expect(submitted.html).toContain('<a href="https://example.gov.cn/shot.png"');
    expect(submitted.html).not.toContain('href="attachment-12"');
    expect(submitted.html).toContain('shot.png</a>（链接指向：example.gov.cn）');
    expect(submitted.text).toContain('1. https://example.gov.cn/shot.png（链接指向：example.gov.cn）');
    expect(submitted.text).toContain('2. attachment-12\n');

    // A link dressed up as a government address shows where it really goes.
    const disguised = render('submitted', {
      ticket: { ...context.ticket, state: 'rectified' },
      details: { feedback: '已整改', evidence: ['https://www.yiyang.gov.cn@evil.example/login', 'https://www.yiyang.gov.cn.evil.example/', 'https://www.уiyang.gov.cn/'] },
    });
    expect(disguised.html).toContain('（链接指向：evil.example）');
    expect(disguised.html).toContain('（链接指向：www.yiyang.gov.cn.evil.example）');
    expect(disguised.html).toContain('（链接指向：www.xn--iyang-');
    expect(disguised.text).toContain('（链接指向：evil.example）');
    expect(submitted.text).toContain('待核验');

    const extended = render('extended', { details: { previousDueAt: new Date('2021-06-20T15:59:59.999Z'), reason: '端午节假期' } });
    expect(extended.text).toContain('已由2021年6月20日（星期日）调整为2021年6月25日（星期五）');
    expect(extended.text).toContain('调整原因：端午节假期');

    const escalation = render('escalation', { ticket: { ...context.ticket, escalationLevel: 2 } });
    expect(escalation.subject).toMatch(/^【督办】/);
    expect(render('escalation', { ticket: { ...context.ticket, escalationLevel: 3 } }).text).toContain('现予通报');
  });

  it('reads the due date in Asia/Shanghai whatever the process time zone', () => {
    // 00:30 on 25 June in Shanghai is still 24 June in UTC, the zone the tests run in.
    const mail = render('issued', { ticket: { ...context.ticket, dueAt: new Date('2021-06-24T16:30:00Z') } });
    expect(process.env.TZ).toBe('UTC');
    expect(mail.text).toContain('2021年6月25日（星期五） 00:30');
    expect(mail.subject).toContain('（6月25日前反馈）');
  });

  it('names websites and every platform in Chinese', () => {
    const platforms = {
      wechat_subscription: '微信订阅号',
      wechat_service: '微信服务号',
      weibo: '微博',
      douyin: '抖音',
      toutiao: '今日头条',
      yidian: '一点号',
      other: '其他',
    } as const;
    for (const [platform, label] of Object.entries(platforms)) {
      const mail = render('issued', { target: { kind: 'new_media', platform: platform as keyof typeof platforms, name: '某账号' } });
      expect(mail.text).toContain(`某账号（${label}）`);
    }
    const website = render('issued', { target: { kind: 'website', platform: null, name: '益阳市水利局网站' } });
    expect(website.text).toContain('益阳市水利局网站（网站）');
  });

  it('escapes HTML in every value and keeps the plain text as typed', () => {
    const mail = render('withdrawn', {
      target: { kind: 'website', platform: null, name: '<script>alert("x")</script> & Co' },
      details: { reason: '<b>复核</b>' },
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(mail.html).toContain('&lt;b&gt;复核&lt;/b&gt;');
    expect(mail.text).toContain('<script>alert("x")</script> & Co（网站）');
    expect(mail.subject).toContain('<script>alert("x")</script> & Co');
  });

  it('keeps long problem lists and odd names out of the way in the subject', () => {
    const mail = render('issued', {
      target: { kind: 'website', platform: null, name: '市水利局\n网站' },
      problems: [
        { code: 'columns_not_updated', label: '栏目更新不及时' },
        { code: 'little_information', label: '信息更新量少且不规范' },
        { code: 'interaction_blocked', label: '互动交流渠道不畅' },
      ],
      inspection: { ...context.inspection, documentNumber: null },
    });
    expect(mail.subject).toBe('【整改通知】2021-2-003 市水利局 网站：栏目更新不及时、信息更新量少且不规范等3项（6月25日前反馈）');
    expect(mail.text).toContain('  3. 互动交流渠道不畅');
    expect(mail.text).toContain('检查通报：全市政府网站与政务新媒体检查情况通报\n');
  });

  it('says when the due date lies beyond the published holiday calendar', () => {
    const mail = render('issued', { ticket: { ...context.ticket, provisional: true } });
    expect(mail.text).toContain('暂按周末休息推算');
  });
});
