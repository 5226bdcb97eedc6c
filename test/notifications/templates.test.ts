import { describe, expect, it } from 'vitest';
import { ticketNotificationKinds as notificationKinds, type TicketNotificationKind as NotificationKind } from '../../db/schema/notifications.table.js';
import { problemWording } from '../../notifications/templates/labels.js';
import { MAIL_LIST_LIMIT, renderTicketMail, type MailTicket, type TicketMailContext } from '../../notifications/templates/ticket-mail.js';

const ticket: MailTicket = {
  id: 17,
  number: '2021-2-003',
  state: 'issued',
  dueAt: new Date('2021-06-25T15:59:59.999Z'),
  target: { kind: 'new_media', platform: 'wechat_subscription', name: '健康益阳' },
  problems: [{ code: 'poor_interaction', label: '互动回应差', text: '互动回应差' }],
  unitName: '益阳市卫生健康委员会',
};

const context: TicketMailContext = {
  inspection: { id: 1, title: '关于2021年全市政府网站与政务新媒体检查情况的通报', documentNumber: '益政务办发〔2021〕2号', shortCode: '2021-2' },
  office: { name: '益阳市政务公开政务服务管理办公室', contact: { name: '文雪飞', phone: '0737-4382206' } },
  addressee: { name: '益阳市卫生健康委员会', code: 'YY-WJW' },
  tickets: [ticket],
  publicUrl: 'https://rectify.example.gov.cn/',
  now: new Date('2021-07-01T01:00:00Z'),
};

function render(kind: NotificationKind, change: Partial<TicketMailContext> = {}) {
  return renderTicketMail(kind, { ...context, ...change });
}

const details = {
  reason: '仍有3条留言未回复',
  comment: '整改到位',
  level: 2,
  daysBefore: 3,
  overdueWorkingDays: 4,
  previousDueAt: new Date('2021-06-20T15:59:59.999Z'),
  previousUnitName: '益阳市交通运输局',
  newUnitName: '益阳市交通运输局',
  requestedUntil: '2021-07-09',
};

// Words the issue found in the old emails: over-deferential, chatty, software, a financial term.
const banned = ['贵单位', '您好', '下一步', '核销', '无需再做任何操作', '逾期时间越长', '整改被退回', 'Rectify', '（网站）', '点“'];

describe('renderTicketMail: every kind reads as an office would write it', () => {
  it.each(notificationKinds)('%s: addressed by name, signed by the office with its contact, dates in full', (kind) => {
    const mail = render(kind, { details, tickets: [{ ...ticket, overdueWorkingDays: 4, rectifiedAt: new Date('2021-06-28T02:00:00Z') }] });
    for (const body of [mail.text, mail.html]) {
      for (const word of banned) expect(body, `${kind} says ${word}`).not.toContain(word);
      expect(body).toContain('联系人：文雪飞，联系电话：0737-4382206。');
      expect(body).toContain('益阳市政务公开政务服务管理办公室');
      // The sign-off's date, and every deadline with its year and weekday.
      expect(body).toContain('2021年7月1日');
      expect(body).toMatch(/2021年6月2[058]日（星期[日五一]）/);
      expect(body).toContain('互动回应差');
      expect(body).toContain('https://rectify.example.gov.cn/tickets/17');
    }
    expect(mail.text.startsWith('益阳市卫生健康委员会：\n')).toBe(true);
    expect(mail.html).toContain('<p style="margin:0 0 8px">益阳市卫生健康委员会：</p>');
    expect(mail.text).toMatch(/益阳市政务公开政务服务管理办公室\n\s*2021年7月1日\n/);
    expect(mail.subject).not.toMatch(/(^|[^年])\d{1,2}月\d{1,2}日/);
    for (const word of banned) expect(mail.subject).not.toContain(word);
  });

  it.each([
    ['issued', '【整改通知】2021-2-003 健康益阳：互动回应差（请于2021年6月25日前反馈）'],
    ['reminder', '【整改提醒】2021-2-003 健康益阳：互动回应差（还剩3个工作日）'],
    ['escalation', '【督办】2021-2-003 健康益阳：互动回应差（已逾期4个工作日）'],
    ['rejected', '【整改退回】2021-2-003 健康益阳：互动回应差（请于2021年6月25日前重新报送）'],
    ['verified', '【整改销号】2021-2-003 健康益阳：互动回应差'],
    ['withdrawn', '【撤销整改事项】2021-2-003 健康益阳：互动回应差（无需报送）'],
    ['reassigned', '【转办】2021-2-003 健康益阳：互动回应差（请于2021年6月25日前反馈）'],
    ['reassigned_away', '【转办】2021-2-003 健康益阳：互动回应差（已转益阳市交通运输局办理）'],
    ['extended', '【延期】2021-2-003 健康益阳：互动回应差（延至2021年6月25日）'],
    ['submitted', '【待核验】益阳市卫生健康委员会：1项整改事项（截至2021年7月1日共1项）'],
  ] as const)('gives %s its subject, with the year in every date', (kind, subject) => {
    expect(render(kind, { details, tickets: [{ ...ticket, overdueWorkingDays: 4 }] }).subject).toBe(subject);
  });

  it('writes the issue notice in the words of the notice', () => {
    const mail = render('issued');
    expect(mail.text).toContain(
      '根据《关于2021年全市政府网站与政务新媒体检查情况的通报》（益政务办发〔2021〕2号），你单位开设的“健康益阳”微信订阅号存在以下问题：互动回应差。' +
        '请立即签收，认真整改、举一反三，并于2021年6月25日（星期五）前通过系统报送整改情况书面反馈及整改前后截图等佐证材料。',
    );
    expect(mail.html).toContain('href="https://rectify.example.gov.cn/tickets/17"');
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
  });

  it('writes each decision as the issue words it', () => {
    const acknowledged = { ...ticket, state: 'acknowledged' as const };
    expect(render('rejected', { tickets: [acknowledged], details: { reason: '仍有3条留言未回复。' } }).text).toContain(
      '经核验，该问题未整改到位（理由：仍有3条留言未回复），现予退回，请继续整改，并于2021年6月25日（星期五）前重新报送。',
    );
    expect(render('verified').text).toContain('经核验，该问题已整改到位，予以销号。请加强日常运维，防止问题反弹。');
    expect(render('extended', { details: { previousDueAt: details.previousDueAt } }).text).toContain(
      '经研究，同意将“健康益阳”微信订阅号（工单编号2021-2-003）互动回应差问题的整改情况书面反馈期限由2021年6月20日（星期日）延至2021年6月25日（星期五）。',
    );
    expect(render('reassigned_away', { details: { newUnitName: '益阳市交通运输局' } }).text).toContain('该事项已转益阳市交通运输局办理，你单位无需报送。');
    const withdrawn = render('withdrawn', { details: { reason: '账号已注销' } }).text;
    expect(withdrawn).toContain('予以撤销（理由：账号已注销）');
    expect(withdrawn).not.toContain('经复核');
    // 完成整改 once at most, and a submitted ticket is not asked to submit again.
    const rectified = render('extended', { tickets: [{ ...ticket, state: 'rectified' }], details: { previousDueAt: details.previousDueAt } }).text;
    expect(rectified).toContain('你单位已报送整改情况，待核验。');
  });

  it("shows each problem in the inspector's words when they say more than the label", () => {
    expect(problemWording({ code: 'other', label: '其他', text: '发布内容违规' })).toBe('其他：发布内容违规');
    expect(problemWording({ code: 'columns_not_updated', label: '栏目更新不及时', text: '应更新未更新栏目超过10个' })).toBe('栏目更新不及时（应更新未更新栏目超过10个）');
    expect(problemWording({ code: 'poor_interaction', label: '互动回应差', text: '互动回应差。' })).toBe('互动回应差');
    const mail = render('issued', {
      tickets: [{ ...ticket, problems: [{ code: 'other', label: '其他', text: '发布内容违规' }, { code: 'other', label: '其他', text: '长期未更新' }] }],
    });
    expect(mail.subject).toBe('【整改通知】2021-2-003 健康益阳：其他：发布内容违规、其他：长期未更新（请于2021年6月25日前反馈）');
    expect(mail.text).toContain('存在以下问题：其他：发布内容违规；其他：长期未更新。');
    expect(mail.text).not.toMatch(/其他[、；。]/);
  });

  it('states the working days overdue and the rung of the ladder on escalations', () => {
    const rungs = [
      [1, '【催办】', '现予催办'],
      [2, '【督办】', '现予督办'],
      [3, '【通报】', '现列入拟通报名单'],
    ] as const;
    for (const [level, tag, words] of rungs) {
      const mail = render('escalation', { tickets: [{ ...ticket, overdueWorkingDays: 7 }], details: { level } });
      expect(mail.subject.startsWith(tag)).toBe(true);
      expect(mail.subject).toContain('（已逾期7个工作日）');
      expect(mail.text).toContain('现已逾期7个工作日，仍未收到你单位整改情况。');
      expect(mail.text).toContain(words);
    }
  });

  it("gives the copies (Cc) a copy's wording, once, after the sign-off", () => {
    const mail = render('escalation', { details: { level: 3 }, copyTo: ['安化县人民政府办公室', '益阳市政务公开政务服务管理办公室'] });
    expect(mail.text).toContain('抄送：安化县人民政府办公室，益阳市政务公开政务服务管理办公室。请督促益阳市卫生健康委员会抓紧办理。');
    expect(mail.text.indexOf('抄送：')).toBeGreaterThan(mail.text.indexOf('2021年7月1日'));
    expect(mail.text.startsWith('益阳市卫生健康委员会：')).toBe(true);
    expect(render('escalation', { details: { level: 1 } }).text).not.toContain('抄送');
  });

  it('lists a batch: a table in HTML, a numbered list in text, a link to the unit’s filtered list', () => {
    const tickets = [0, 1, 2].map((i) => ({ ...ticket, id: 20 + i, number: `2021-2-00${i + 1}`, target: { ...ticket.target, name: `账号${i + 1}` } }));
    const mail = render('issued', { tickets });
    expect(mail.subject).toBe('【整改通知】益阳市卫生健康委员会：3项整改事项（请于2021年6月25日前反馈）');
    expect(mail.text).toContain('你单位负责的3个政务新媒体存在问题');
    expect(mail.text).toContain('1. 2021-2-001 “账号1”微信订阅号');
    expect(mail.text).toContain('3. 2021-2-003 “账号3”微信订阅号\n   存在问题：互动回应差\n   反馈期限：2021年6月25日（星期五）\n   办理地址：https://rectify.example.gov.cn/tickets/22');
    expect(mail.html).toContain('<th style="');
    expect(mail.html.match(/<tr>/g)).toHaveLength(4);
    expect(mail.text).toContain('https://rectify.example.gov.cn/tickets?inspection=1&unit=YY-WJW');
  });

  it('stays readable at hundreds of tickets: the first 200, then a link to the rest', () => {
    const tickets = Array.from({ length: 250 }, (_, i) => ({ ...ticket, id: 1000 + i, number: `2021-2-${String(i + 1).padStart(3, '0')}` }));
    const mail = render('issued', { tickets });
    expect(mail.subject).toContain('250项整改事项');
    expect(mail.text).toContain(`${MAIL_LIST_LIMIT}. 2021-2-200`);
    expect(mail.text).not.toContain('201. 2021-2-201');
    expect(mail.text).toContain('以上列出前200项，共250项，全部事项请见：https://rectify.example.gov.cn/tickets?inspection=1&unit=YY-WJW');
    expect(mail.html.match(/<tr>/g)).toHaveLength(201);
  });

  it('names websites once and every platform in Chinese', () => {
    const platforms = { wechat_subscription: '微信订阅号', wechat_service: '微信服务号', weibo: '微博', douyin: '抖音', toutiao: '今日头条', yidian: '一点号' } as const;
    for (const [platform, label] of Object.entries(platforms)) {
      const mail = render('issued', { tickets: [{ ...ticket, target: { kind: 'new_media', platform: platform as keyof typeof platforms, name: '某账号' } }] });
      expect(mail.text).toContain(`“某账号”${label}`);
    }
    const website = render('issued', { tickets: [{ ...ticket, target: { kind: 'website', platform: null, name: '益阳市水利局网站' } }] });
    expect(website.text).toContain('你单位主办的益阳市水利局网站存在以下问题');
  });

  it('reads the due date in Asia/Shanghai whatever the process time zone', () => {
    // 00:30 on 25 June in Shanghai is still 24 June in UTC, the zone the tests run in.
    const mail = render('issued', { tickets: [{ ...ticket, dueAt: new Date('2021-06-24T16:30:00Z') }] });
    expect(process.env.TZ).toBe('UTC');
    expect(mail.text).toContain('2021年6月25日（星期五）0时30分');
    expect(mail.subject).toContain('（请于2021年6月25日前反馈）');
  });

  it('escapes HTML in every value and keeps the plain text as typed', () => {
    const mail = render('withdrawn', { tickets: [{ ...ticket, target: { kind: 'website', platform: null, name: '<script>alert("x")</script> & Co' } }], details: { reason: '<b>复核</b>' } });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(mail.html).toContain('&lt;b&gt;复核&lt;/b&gt;');
    expect(mail.text).toContain('“<script>alert("x")</script> & Co”网站');
  });

  it('says when the due date lies beyond the published holiday calendar', () => {
    expect(render('issued', { tickets: [{ ...ticket, provisional: true }] }).text).toContain('期限暂按双休日推算');
  });
});
