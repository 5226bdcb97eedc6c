import type { TicketListItem } from './api/types';
import { platformLabels, targetKindLabels } from './labels';

/** 微信订阅号, 政府网站 …: what kind of target a ticket is about. */
export const targetLine = (item: Pick<TicketListItem, 'target'>) =>
  item.target.kind === 'new_media' ? `${platformLabels[item.target.platform ?? 'other'] ?? '政务新媒体'}` : (targetKindLabels[item.target.kind] ?? '');

/** The problems as the emails write them: 其他：<the inspector's words>, or the label with its words when they differ. */
export const problemsLine = (item: Pick<TicketListItem, 'problems'>) =>
  item.problems.map((p) => (p.code === 'other' && p.text ? `其他：${p.text}` : p.text && p.text !== p.label ? `${p.label}（${p.text}）` : p.label)).join('；');
