/** What a ticket row needs to be picked for a bulk action on 督办台 (sent back as expectedVersion). */
export interface PickableTicket {
  id: number;
  number: string;
  version: number;
  unitName: string;
  target: { name: string };
}
