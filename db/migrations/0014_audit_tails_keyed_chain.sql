-- Every earlier row of both trails is chain version 1 (plain SHA-256); rows written from now on are
-- version 2 (HMAC-SHA256 under the audit key).
ALTER TABLE "ticket_events" ADD COLUMN "chain_version" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_events" ALTER COLUMN "chain_version" SET DEFAULT 2;--> statement-breakpoint
ALTER TABLE "feedback_events" ADD COLUMN "chain_version" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "feedback_events" ALTER COLUMN "chain_version" SET DEFAULT 2;--> statement-breakpoint
ALTER TABLE "ticket_events" ADD CONSTRAINT "ticket_events_chain_version_check" CHECK ("ticket_events"."chain_version" in (1, 2));--> statement-breakpoint
ALTER TABLE "feedback_events" ADD CONSTRAINT "feedback_events_chain_version_check" CHECK ("feedback_events"."chain_version" in (1, 2));--> statement-breakpoint
-- The highest row id of each trail written unkeyed: a version 1 row above it is a rewrite. A
-- function owned by the migrating role, so a role without ownership cannot move the boundary.
DO $$
BEGIN
  EXECUTE format(
    'CREATE OR REPLACE FUNCTION audit_legacy_max_ids() RETURNS TABLE(ticket_events bigint, feedback_events bigint) LANGUAGE sql IMMUTABLE AS %L',
    format('SELECT %s::bigint, %s::bigint', (SELECT coalesce(max(id), 0) FROM ticket_events), (SELECT coalesce(max(id), 0) FROM feedback_events))
  );
END
$$;--> statement-breakpoint
-- The tail of each owner's trail: its last event's seq and hash, backfilled from the trails as they are.
ALTER TABLE "tickets" ADD COLUMN "audit_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "audit_hash" text;--> statement-breakpoint
ALTER TABLE "feedbacks" ADD COLUMN "audit_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "feedbacks" ADD COLUMN "audit_hash" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_audit_seq_check" CHECK ("tickets"."audit_seq" >= 0);--> statement-breakpoint
ALTER TABLE "feedbacks" ADD CONSTRAINT "feedbacks_audit_seq_check" CHECK ("feedbacks"."audit_seq" >= 0);--> statement-breakpoint
UPDATE "tickets" t SET "audit_seq" = e.seq, "audit_hash" = e.hash
FROM (SELECT DISTINCT ON (ticket_id) ticket_id, seq, hash FROM ticket_events ORDER BY ticket_id, seq DESC) e
WHERE e.ticket_id = t.id;--> statement-breakpoint
UPDATE "feedbacks" f SET "audit_seq" = e.seq, "audit_hash" = e.hash
FROM (SELECT DISTINCT ON (feedback_id) feedback_id, seq, hash FROM feedback_events ORDER BY feedback_id, seq DESC) e
WHERE e.feedback_id = f.id;
