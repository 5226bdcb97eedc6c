CREATE TABLE "calendar_arrangements" (
	"day" date PRIMARY KEY NOT NULL,
	"year" integer NOT NULL,
	"kind" text NOT NULL,
	"name" text,
	"imported_by" integer,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calendar_arrangements_kind_check" CHECK ("calendar_arrangements"."kind" in ('workday', 'restday')),
	CONSTRAINT "calendar_arrangements_year_check" CHECK (extract(year from "calendar_arrangements"."day") = "calendar_arrangements"."year")
);
--> statement-breakpoint
ALTER TABLE "ticket_events" DROP CONSTRAINT "ticket_events_type_check";--> statement-breakpoint
ALTER TABLE "notifications" DROP CONSTRAINT "notifications_kind_check";--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "leader_emails" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "extension_request" jsonb;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "extensions_granted" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "cc" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "calendar_arrangements" ADD CONSTRAINT "calendar_arrangements_imported_by_users_id_fk" FOREIGN KEY ("imported_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "calendar_arrangements_year_idx" ON "calendar_arrangements" USING btree ("year");--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_extensions_granted_check" CHECK ("tickets"."extensions_granted" >= 0);--> statement-breakpoint
ALTER TABLE "ticket_events" ADD CONSTRAINT "ticket_events_type_check" CHECK (type in ('ISSUE', 'ACKNOWLEDGE', 'SUBMIT_RECTIFICATION', 'VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN', 'ESCALATE', 'REQUEST_EXTENSION', 'APPROVE_EXTENSION', 'REFUSE_EXTENSION'));--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_kind_check" CHECK (kind in ('issued', 'reminder', 'escalation', 'submitted', 'rejected', 'verified', 'withdrawn', 'reassigned', 'extended', 'verify_reminder', 'reassigned_away', 'extension_requested', 'extension_approved', 'extension_refused'));