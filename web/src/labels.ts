import type { EventType, TicketState } from './api/types';

/** State names as the SPEC fixes them. */
export const stateLabels: Record<TicketState, string> = {
  issued: '待签收',
  acknowledged: '整改中',
  rectified: '待核验',
  verified: '已销号',
  withdrawn: '已撤销',
};

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

export const platformLabels: Record<string, string> = {
  wechat_subscription: '微信订阅号',
  wechat_service: '微信服务号',
  weibo: '微博',
  douyin: '抖音',
  toutiao: '今日头条',
  yidian: '一点号',
  wechat_channels: '微信视频号',
  kuaishou: '快手',
  xiaohongshu: '小红书',
  baijiahao: '百家号',
  bilibili: '哔哩哔哩',
  mini_program: '小程序',
  gov_app: '政务App',
  other: '其他平台',
};

export const targetKindLabels: Record<string, string> = { website: '政府网站', new_media: '政务新媒体' };

export const notificationKindLabels: Record<string, string> = {
  issued: '下发通知',
  reminder: '到期提醒',
  escalation: '逾期督办',
  submitted: '整改报送',
  rejected: '退回通知',
  verified: '销号通知',
  withdrawn: '撤销通知',
  reassigned: '转办通知',
  extended: '延期通知',
  digest: '待核验汇总',
};

export const notificationStatusLabels: Record<string, string> = { pending: '待发送', sent: '已发送', failed: '发送失败' };

export const roleLabels: Record<string, string> = { admin: '系统管理员', supervisor: '督办人员', officer: '整改联络员' };
