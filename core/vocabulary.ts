// The other closed lists of the domain (targets, platforms, units, roles, notifications), declared
// once for the database's CHECKs, the API, the mails and the workbench. Imports nothing: web/ uses it.

export const targetKinds = ['website', 'new_media'] as const;
export type TargetKind = (typeof targetKinds)[number];

/** The platforms of the national reporting system's 政务新媒体 and those inspections meet beyond it; labels in core/labels.ts. */
export const platforms = [
  'wechat_subscription',
  'wechat_service',
  'weibo',
  'douyin',
  'toutiao',
  'yidian',
  'wechat_channels',
  'kuaishou',
  'xiaohongshu',
  'baijiahao',
  'bilibili',
  'mini_program',
  'gov_app',
  'other',
] as const;
export type Platform = (typeof platforms)[number];

export const unitKinds = ['city_department', 'county', 'township', 'other'] as const;
export type UnitKind = (typeof unitKinds)[number];

/** A unit's written feedback (书面反馈) in one inspection. */
export const feedbackStates = ['pending', 'submitted', 'accepted', 'returned'] as const;
export type FeedbackState = (typeof feedbackStates)[number];

export const roles = ['admin', 'supervisor', 'officer'] as const;
export type Role = (typeof roles)[number];

export const ticketNotificationKinds = [
  'issued',
  'reminder',
  'escalation',
  'submitted',
  'rejected',
  'verified',
  'withdrawn',
  'reassigned',
  'extended',
  'verify_reminder',
  'reassigned_away',
  'extension_requested',
  'extension_approved',
  'extension_refused',
] as const;
export type TicketNotificationKind = (typeof ticketNotificationKinds)[number];

/** A unit's written feedback: submitted (to the supervising office), accepted or returned (to the unit). */
export const feedbackNotificationKinds = ['feedback_submitted', 'feedback_accepted', 'feedback_returned'] as const;
export type FeedbackNotificationKind = (typeof feedbackNotificationKinds)[number];

export const notificationKinds = [...ticketNotificationKinds, ...feedbackNotificationKinds] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export const notificationStatuses = ['pending', 'sending', 'sent', 'failed'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];
