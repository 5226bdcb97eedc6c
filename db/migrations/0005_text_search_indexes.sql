CREATE INDEX "targets_name_trgm_idx" ON "targets" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "findings_target_idx" ON "findings" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "tickets_number_trgm_idx" ON "tickets" USING gin ("number" gin_trgm_ops);