DROP INDEX "findings_target_idx";--> statement-breakpoint
DROP INDEX "tickets_due_idx";--> statement-breakpoint
DROP INDEX "tickets_state_due_idx";--> statement-breakpoint
CREATE INDEX "findings_target_id_idx" ON "findings" USING btree ("target_id","id");--> statement-breakpoint
CREATE INDEX "tickets_unit_due_idx" ON "tickets" USING btree ("unit_id","due_at","id","state","escalation_level","inspection_id","finding_id");--> statement-breakpoint
CREATE INDEX "tickets_list_idx" ON "tickets" USING btree ("due_at","id","unit_id","state","escalation_level","inspection_id","finding_id","number");--> statement-breakpoint
CREATE INDEX "tickets_state_due_idx" ON "tickets" USING btree ("state","due_at","id","unit_id","escalation_level","inspection_id","finding_id");