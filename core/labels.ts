import type { TicketState } from './ticket-states.js';
import type { FeedbackState, NotificationKind, NotificationStatus, Platform, Role, UnitKind } from './vocabulary.js';

// The words for the domain's lists, for the mails and the workbench alike (web/ imports this file).
// Exhaustive records: a new state, platform or kind fails to compile until it has its words.

/** The state names of the SPEC. */
export const stateLabels: Record<TicketState, string> = {
  issued: '待签收',
  acknowledged: '整改中',
  rectified: '待核验',
  verified: '已销号',
  withdrawn: '已撤销',
};

/** The platform names as the inspection notices print them. */
export const platformLabels: Record<Platform, string> = {
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
  other: '其他',
};

export const roleLabels: Record<Role, string> = { admin: '系统管理员', supervisor: '督办人员', officer: '整改联络员' };

export const unitKindLabels: Record<UnitKind, string> = {
  city_department: '市直部门',
  county: '区县(市)',
  township: '乡镇(街道)',
  other: '其他',
};

export const notificationKindLabels: Record<NotificationKind, string> = {
  issued: '下发通知',
  reminder: '到期提醒',
  escalation: '逾期督办',
  submitted: '整改报送',
  rejected: '退回通知',
  verified: '销号通知',
  withdrawn: '撤销通知',
  reassigned: '转办通知',
  extended: '延期通知',
  verify_reminder: '待核验汇总',
  reassigned_away: '转出通知',
  extension_requested: '延期申请',
  extension_approved: '同意延期通知',
  extension_refused: '不同意延期通知',
  feedback_submitted: '书面反馈报送',
  feedback_accepted: '书面反馈接收',
  feedback_returned: '书面反馈退回',
};

export const notificationStatusLabels: Record<NotificationStatus, string> = { pending: '待发送', sending: '正在发送', sent: '已发送', failed: '发送失败' };

/** A unit's written feedback, in the words of the 书面反馈 page, the report and its downloads alike. */
export const feedbackStateLabels: Record<FeedbackState, string> = { pending: '待报送', submitted: '已报送', accepted: '已接收', returned: '已退回' };
