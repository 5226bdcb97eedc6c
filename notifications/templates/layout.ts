/** One row of a single ticket's facts; a list renders as numbered lines. */
export interface MailField {
  label: string;
  value: string | string[];
}

/** The tickets a batch lists: a table in HTML, a numbered list in the text part. */
export interface MailList {
  /** Column labels after 工单编号 and 检查对象, in order. */
  columns: string[];
  rows: { number: string; target: string; link: string; values: string[] }[];
  /** How many tickets the email concerns; above the rows shown, `more` links to the rest. */
  total: number;
  more?: { url: string };
}

export interface MailContent {
  subject: string;
  /** The unit the email is addressed to, by name. */
  addressee: string;
  /** The body, one paragraph each, in the order read. */
  paragraphs: string[];
  facts?: MailField[];
  list?: MailList;
  /** The page to act on: the ticket's, or the filtered list of a batch. */
  link: { label: string; url: string };
  /** The issuing office's 联系人 and 联系电话. */
  contact: { name: string; phone: string } | null;
  /** 落款: the issuing office and the date. */
  signOff: { office: string; date: string };
  /** 抄送: the units copied, and what the copy asks of them. */
  copy?: { to: string[]; note: string };
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);
}

// Only web links become anchors; anything else (an attachment id, a javascript: URL) stays text.
/**
 * The host a web link really leads to (punycode for look-alike letters), shown beside links that
 * officers typed, so that "https://www.gov.cn@evil.example/" reads as going to evil.example.
 */
function linkHost(value: string): string | undefined {
  if (!/^https?:\/\/\S+$/.test(value)) return undefined;
  try {
    return new URL(value).host;
  } catch {
    return undefined;
  }
}

const hostNote = (host: string) => `（链接指向：${host}）`;

function htmlValue(value: string): string {
  const escaped = escapeHtml(value).replace(/\r\n|\r|\n/g, '<br>');
  const host = linkHost(value);
  return host ? `<a href="${escapeHtml(value)}" style="color:#1664ff">${escaped}</a>${escapeHtml(hostNote(host))}` : escaped;
}

// 公文 paragraphs open with two full-width spaces.
const INDENT = '　　';
const footer = '本邮件由系统自动发送，请勿直接回复。';

function contactLine(contact: MailContent['contact']): string | undefined {
  return contact ? `联系人：${contact.name}，联系电话：${contact.phone}。` : undefined;
}

function copyLine(copy: MailContent['copy']): string | undefined {
  return copy && copy.to.length > 0 ? `抄送：${copy.to.join('，')}。${copy.note}` : undefined;
}

const oneLine = (value: string) => value.replace(/\r\n|\r|\n/g, '\n     ');

function renderText(content: MailContent): string {
  const lines = [`${content.addressee}：`];
  for (const paragraph of content.paragraphs) lines.push(`${INDENT}${paragraph}`);
  if (content.facts && content.facts.length > 0) {
    lines.push('');
    for (const field of content.facts) {
      if (Array.isArray(field.value)) {
        lines.push(`${field.label}：`);
        field.value.forEach((item, i) => {
          const host = linkHost(item);
          lines.push(`  ${i + 1}. ${oneLine(item)}${host ? hostNote(host) : ''}`);
        });
      } else {
        lines.push(`${field.label}：${field.value.replace(/\r\n|\r|\n/g, '\n  ')}`);
      }
    }
  }
  if (content.list) {
    const { columns, rows, total, more } = content.list;
    for (const [i, row] of rows.entries()) {
      lines.push('', `${i + 1}. ${row.number} ${row.target}`);
      columns.forEach((label, c) => lines.push(`   ${label}：${oneLine(row.values[c] ?? '')}`));
      lines.push(`   办理地址：${row.link}`);
    }
    if (more) lines.push('', `以上列出前${rows.length}项，共${total}项，全部事项请见：${more.url}`);
  }
  lines.push('', `${content.link.label}：${content.link.url}`);
  const contact = contactLine(content.contact);
  if (contact) lines.push('', contact);
  // The sign-off sits to the right, as on paper.
  const width = Math.max(content.signOff.office.length, content.signOff.date.length) + 4;
  const right = (value: string) => `${'　'.repeat(Math.max(2, 28 - width))}${value}`;
  lines.push('', right(content.signOff.office), right(content.signOff.date));
  const copy = copyLine(content.copy);
  if (copy) lines.push('', copy);
  lines.push('', `（${footer}）`, '');
  return lines.join('\n');
}

const cell = 'padding:6px 8px;border:1px solid #e5e6eb;vertical-align:top;text-align:left';
const head = `${cell};background:#f7f8fa;font-weight:normal;color:#4e5969;white-space:nowrap`;

function factsHtml(facts: MailField[]): string {
  const rows = facts
    .map((field) => {
      const value = Array.isArray(field.value)
        ? `<ol style="margin:0;padding-left:20px">${field.value.map((item) => `<li>${htmlValue(item)}</li>`).join('')}</ol>`
        : htmlValue(field.value);
      return `<tr><th style="${head};width:6em">${escapeHtml(field.label)}</th><td style="${cell}">${value}</td></tr>`;
    })
    .join('\n');
  return `<table role="presentation" style="border-collapse:collapse;width:100%;margin:0 0 16px">\n${rows}\n</table>`;
}

function listHtml({ columns, rows, total, more }: MailList): string {
  const header = ['序号', '工单编号', '检查对象', ...columns].map((label) => `<th style="${head}">${escapeHtml(label)}</th>`).join('');
  const body = rows
    .map((row, i) => {
      const cells = [
        String(i + 1),
        `<a href="${escapeHtml(row.link)}" style="color:#1664ff">${escapeHtml(row.number)}</a>`,
        escapeHtml(row.target),
        ...row.values.map((value) => htmlValue(value)),
      ];
      return `<tr>${cells.map((c) => `<td style="${cell}">${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const tail = more
    ? `<p style="margin:0 0 16px">以上列出前${rows.length}项，共${total}项，<a href="${escapeHtml(more.url)}" style="color:#1664ff">全部事项请见工单列表</a>。</p>`
    : '';
  return `<table style="border-collapse:collapse;width:100%;margin:0 0 16px;font-size:13px">\n<thead><tr>${header}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>\n${tail}`;
}

function renderHtml(content: MailContent): string {
  const link = escapeHtml(content.link.url);
  const contact = contactLine(content.contact);
  const copy = copyLine(content.copy);
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(content.subject)}</title></head>
<body style="margin:0;padding:16px;background:#f5f6f8;color:#1f2329;font-family:'FangSong','STFangsong','PingFang SC','Microsoft YaHei',serif;font-size:15px;line-height:1.8">
<div style="max-width:760px;margin:0 auto;padding:24px 28px;background:#ffffff;border:1px solid #e5e6eb">
<p style="margin:0 0 8px">${escapeHtml(content.addressee)}：</p>
${content.paragraphs.map((p) => `<p style="margin:0 0 8px;text-indent:2em">${htmlValue(p)}</p>`).join('\n')}
${content.facts && content.facts.length > 0 ? factsHtml(content.facts) : ''}
${content.list ? listHtml(content.list) : ''}
<p style="margin:8px 0 16px">${escapeHtml(content.link.label)}：<a href="${link}" style="color:#1664ff">${link}</a></p>
${contact ? `<p style="margin:0 0 16px">${escapeHtml(contact)}</p>` : ''}
<p style="margin:24px 0 16px;text-align:right">${escapeHtml(content.signOff.office)}<br>${escapeHtml(content.signOff.date)}</p>
${copy ? `<p style="margin:0 0 16px;padding-top:8px;border-top:1px solid #e5e6eb">${escapeHtml(copy)}</p>` : ''}
<p style="margin:0;color:#86909c;font-size:12px">${escapeHtml(footer)}</p>
</div>
</body>
</html>
`;
}

/** The one layout every email shares: addressee, body, facts or list, link, contact, sign-off, copy. */
export function renderLayout(content: MailContent): { text: string; html: string } {
  return { text: renderText(content), html: renderHtml(content) };
}
