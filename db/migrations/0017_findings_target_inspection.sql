DROP INDEX "findings_target_id_idx";--> statement-breakpoint
CREATE INDEX "findings_target_id_idx" ON "findings" USING btree ("target_id","id","inspection_id");