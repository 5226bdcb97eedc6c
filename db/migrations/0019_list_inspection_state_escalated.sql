DROP INDEX "tickets_inspection_idx";--> statement-breakpoint
DROP INDEX "tickets_rectified_inspection_idx";--> statement-breakpoint
CREATE INDEX "tickets_inspection_state_due_idx" ON "tickets" USING btree ("inspection_id","state","due_at","id","unit_id","escalation_level","finding_id");--> statement-breakpoint
CREATE INDEX "tickets_escalated_due_idx" ON "tickets" USING btree ("due_at","id","unit_id","state","escalation_level","inspection_id","finding_id","number") WHERE "tickets"."escalation_level" > 0;