DROP INDEX "tickets_next_action_idx";--> statement-breakpoint
CREATE INDEX "tickets_due_idx" ON "tickets" USING btree ("due_at","id");--> statement-breakpoint
CREATE INDEX "tickets_next_action_idx" ON "tickets" USING btree ("next_action_at","id") WHERE "tickets"."next_action_at" is not null;