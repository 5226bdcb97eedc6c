// A ticket's states and the events of its audit trail: declared once here, for the database's
// CHECKs (db/schema), the machine and the API, the mails and the workbench (web/ imports this too,
// so nothing here may import anything).

export const ticketStates = ['issued', 'acknowledged', 'rectified', 'verified', 'withdrawn'] as const;
export type TicketState = (typeof ticketStates)[number];
export const openTicketStates = ['issued', 'acknowledged', 'rectified'] as const;

export const ticketEventTypes = [
  'ISSUE',
  'ACKNOWLEDGE',
  'SUBMIT_RECTIFICATION',
  'VERIFY',
  'REJECT',
  'WITHDRAW',
  'EXTEND_DEADLINE',
  'REASSIGN',
  'ESCALATE',
  'REQUEST_EXTENSION',
  'APPROVE_EXTENSION',
  'REFUSE_EXTENSION',
] as const;
export type TicketEventType = (typeof ticketEventTypes)[number];
