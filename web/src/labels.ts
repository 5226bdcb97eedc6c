import {
  notificationKindLabels as notificationKinds,
  notificationStatusLabels as notificationStatuses,
  platformLabels as platforms,
  roleLabels as roles,
  stateLabels,
} from '../../core/labels';
import type { EventType, TicketState } from './api/types';

// The domain's words come from core/labels.ts, shared with the mails. The API hands some values
// over as plain strings, so those maps are looked up by string here (a missing key falls back).
export { stateLabels };
export const platformLabels: Record<string, string> = platforms;
export const roleLabels: Record<string, string> = roles;
export const notificationKindLabels: Record<string, string> = notificationKinds;
export const notificationStatusLabels: Record<string, string> = notificationStatuses;

export const stateTagTypes: Record<TicketState, 'primary' | 'success' | 'warning' | 'info' | 'danger'> = {
  issued: 'danger',
  acknowledged: 'warning',
  rectified: 'primary',
  verified: 'success',
  withdrawn: 'info',
};

/** The ladder: escalation level 1, 2, 3. */
export const ladderLabels: Record<number, string> = { 1: '催办', 2: '督办', 3: '通报' };
export const ladderLabel = (level: number) => (level <= 0 ? '' : (ladderLabels[level] ?? ladderLabels[3] ?? ''));

/** The buttons a user may press, in the SPEC's words; ESCALATE is the system's and has no button. */
export const eventLabels: Record<EventType, string> = {
  ACKNOWLEDGE: '签收',
  SUBMIT_RECTIFICATION: '提交整改',
  VERIFY: '通过核验',
  REJECT: '退回',
  WITHDRAW: '撤销',
  EXTEND_DEADLINE: '延期',
  REASSIGN: '转办',
  ESCALATE: '升级督办',
  REQUEST_EXTENSION: '申请延期',
  APPROVE_EXTENSION: '同意延期',
  REFUSE_EXTENSION: '不同意延期',
};

/** How each audit event reads in 办理记录. */
export const historyLabels: Record<string, string> = {
  ISSUE: '下发工单',
  ACKNOWLEDGE: '签收',
  SUBMIT_RECTIFICATION: '提交整改',
  VERIFY: '核验通过，予以销号',
  REJECT: '退回重新整改',
  WITHDRAW: '撤销工单',
  EXTEND_DEADLINE: '延长反馈期限',
  REASSIGN: '转办',
  ESCALATE: '逾期升级',
  REQUEST_EXTENSION: '申请延期',
  APPROVE_EXTENSION: '同意延期',
  REFUSE_EXTENSION: '不同意延期',
};

export const targetKindLabels: Record<string, string> = { website: '政府网站', new_media: '政务新媒体' };

