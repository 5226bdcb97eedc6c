/** One row of the facts table; a list renders as numbered lines. */
export interface MailField {
  label: string;
  value: string | string[];
}

export interface MailContent {
  subject: string;
  greeting: string;
  lead: string;
  fields: MailField[];
  next: string;
  link: string;
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);
}

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

// Only web links become anchors; anything else (an attachment id, a javascript: URL) stays text.
function htmlValue(value: string): string {
  const escaped = escapeHtml(value).replace(/\r\n|\r|\n/g, '<br>');
  const host = linkHost(value);
  return host ? `<a href="${escapeHtml(value)}" style="color:#1664ff">${escaped}</a>${escapeHtml(hostNote(host))}` : escaped;
}

const footer = '此邮件由 Rectify 整改工单系统自动发送，请勿直接回复；如有疑问请联系检查单位。';

function renderText(content: MailContent): string {
  const lines = [content.greeting, '', content.lead, ''];
  for (const field of content.fields) {
    if (Array.isArray(field.value)) {
      lines.push(`${field.label}：`);
      field.value.forEach((item, i) => {
        const host = linkHost(item);
        lines.push(`  ${i + 1}. ${item.replace(/\r\n|\r|\n/g, '\n     ')}${host ? hostNote(host) : ''}`);
      });
    } else {
      lines.push(`${field.label}：${field.value.replace(/\r\n|\r|\n/g, '\n  ')}`);
    }
  }
  lines.push('', `下一步：${content.next}`, '', `查看与办理：${content.link}`, '', '——', footer, '');
  return lines.join('\n');
}

const cell = 'padding:6px 8px;border-bottom:1px solid #eceef2;vertical-align:top;text-align:left';

function renderHtml(content: MailContent): string {
  const rows = content.fields
    .map((field) => {
      const value = Array.isArray(field.value)
        ? `<ol style="margin:0;padding-left:20px">${field.value.map((item) => `<li>${htmlValue(item)}</li>`).join('')}</ol>`
        : htmlValue(field.value);
      return `<tr><th style="${cell};white-space:nowrap;color:#4e5969;font-weight:normal;width:6em">${escapeHtml(field.label)}</th><td style="${cell}">${value}</td></tr>`;
    })
    .join('\n');
  const link = escapeHtml(content.link);
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(content.subject)}</title></head>
<body style="margin:0;padding:16px;background:#f5f6f8;color:#1f2329;font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:14px;line-height:1.7">
<div style="max-width:640px;margin:0 auto;padding:24px;background:#ffffff;border:1px solid #e5e6eb">
<p style="margin:0 0 12px">${escapeHtml(content.greeting)}</p>
<p style="margin:0 0 16px">${escapeHtml(content.lead)}</p>
<table role="presentation" style="border-collapse:collapse;width:100%;margin:0 0 16px">
${rows}
</table>
<p style="margin:0 0 16px;padding:10px 12px;background:#fff7e8;border-left:3px solid #ff7d00"><strong>下一步：</strong>${escapeHtml(content.next)}</p>
<p style="margin:0 0 16px"><a href="${link}" style="display:inline-block;padding:8px 16px;background:#1664ff;color:#ffffff;text-decoration:none">查看与办理工单</a></p>
<p style="margin:0 0 8px;color:#86909c;font-size:12px">若按钮无法打开，请复制链接到浏览器：${link}</p>
<p style="margin:0;color:#86909c;font-size:12px">${escapeHtml(footer)}</p>
</div>
</body>
</html>
`;
}

/** The one layout every ticket mail shares: greeting, lead, facts, next step, link. */
export function renderLayout(content: MailContent): { text: string; html: string } {
  return { text: renderText(content), html: renderHtml(content) };
}
