import { and, asc, eq, gt, gte, lte, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { calendarArrangements, calendarOverrides, tickets, type CalendarArrangement, type CalendarOverride } from '../schema/index.js';

export interface CalendarOverrideInput {
  day: string;
  kind: CalendarOverride['kind'];
  note?: string | null;
  updatedBy?: number | null;
}

/** Local working-day arrangements that win over the published calendar. */
export function createCalendarRepository({ db }: { db: Db }) {
  return {
    /** Every ticket waiting for a moment after `at` is looked at again by the next sweep. */
    async rescheduleTicketsAfter(at: Date, tx: Db = db): Promise<void> {
      await tx.update(tickets).set({ nextActionAt: at }).where(gt(tickets.nextActionAt, at));
    },

    /** Due times within [from, to] stop being provisional (the year's arrangement is published). */
    async confirmProvisionalDueTimes({ from, to }: { from: Date; to: Date }, tx: Db = db): Promise<void> {
      await tx
        .update(tickets)
        .set({ dueProvisional: false })
        .where(and(eq(tickets.dueProvisional, true), gte(tickets.dueAt, from), lte(tickets.dueAt, to)));
    },

    /** Overrides with from <= day <= to (either bound optional), oldest first. */
    async listCalendarOverrides({ from, to }: { from?: string; to?: string }, tx: Db = db): Promise<CalendarOverride[]> {
      return tx
        .select()
        .from(calendarOverrides)
        .where(and(from ? gte(calendarOverrides.day, from) : undefined, to ? lte(calendarOverrides.day, to) : undefined))
        .orderBy(asc(calendarOverrides.day));
    },

    /** Creates the day's override, or replaces the one already there. */
    async setCalendarOverride({ day, kind, note = null, updatedBy = null }: CalendarOverrideInput, tx: Db = db): Promise<CalendarOverride> {
      const [row] = await tx
        .insert(calendarOverrides)
        .values({ day, kind, note, updatedBy })
        .onConflictDoUpdate({ target: calendarOverrides.day, set: { kind, note, updatedBy, updatedAt: sql`now()` } })
        .returning();
      if (!row) throw new Error('upsert into calendar_overrides returned nothing');
      return row;
    },

    /** Imported arrangement days, of one year or all, oldest first. */
    async listArrangements({ year }: { year?: number }, tx: Db = db): Promise<CalendarArrangement[]> {
      return tx
        .select()
        .from(calendarArrangements)
        .where(year === undefined ? undefined : eq(calendarArrangements.year, year))
        .orderBy(asc(calendarArrangements.day));
    },

    /** Replaces a year's imported arrangement with `days`; returns the days it replaced. */
    async replaceArrangement(
      { year, days, importedBy }: { year: number; days: { day: string; kind: CalendarArrangement['kind']; name: string | null }[]; importedBy: number | null },
      tx: Db,
    ): Promise<CalendarArrangement[]> {
      const previous = await tx.delete(calendarArrangements).where(eq(calendarArrangements.year, year)).returning();
      if (days.length > 0) await tx.insert(calendarArrangements).values(days.map((d) => ({ ...d, year, importedBy })));
      return previous;
    },

    /** True when an override was there to delete. */
    async deleteCalendarOverride({ day }: { day: string }, tx: Db = db): Promise<boolean> {
      const rows = await tx.delete(calendarOverrides).where(eq(calendarOverrides.day, day)).returning({ day: calendarOverrides.day });
      return rows.length > 0;
    },
  };
}

export type CalendarRepository = ReturnType<typeof createCalendarRepository>;
