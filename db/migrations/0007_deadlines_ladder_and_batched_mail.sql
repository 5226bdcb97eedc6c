CREATE TABLE "notification_tickets" (
	"notification_id" bigint NOT NULL,
	"ticket_id" integer NOT NULL,
	CONSTRAINT "notification_tickets_notification_id_ticket_id_pk" PRIMARY KEY("notification_id","ticket_id")
);
--> statement-breakpoint
CREATE TABLE "verify_digests" (
	"unit_id" integer NOT NULL,
	"inspection_id" integer NOT NULL,
	"day" date NOT NULL,
	"notification_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "verify_digests_unit_id_inspection_id_day_pk" PRIMARY KEY("unit_id","inspection_id","day")
);
--> statement-breakpoint
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
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ticket_events" DROP CONSTRAINT "ticket_events_type_check";--> statement-breakpoint
ALTER TABLE "notifications" DROP CONSTRAINT "notifications_kind_check";--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "leader_emails" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "contact_name" text;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "contact_phone" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "extension_request" jsonb;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "extensions_granted" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "cc" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "cc_unit_ids" integer[] DEFAULT '{}'::int[] NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "reference" text;--> statement-breakpoint
ALTER TABLE "notification_tickets" ADD CONSTRAINT "notification_tickets_notification_id_notifications_id_fk" FOREIGN KEY ("notification_id") REFERENCES "public"."notifications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_tickets" ADD CONSTRAINT "notification_tickets_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verify_digests" ADD CONSTRAINT "verify_digests_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verify_digests" ADD CONSTRAINT "verify_digests_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verify_digests" ADD CONSTRAINT "verify_digests_notification_id_notifications_id_fk" FOREIGN KEY ("notification_id") REFERENCES "public"."notifications"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calendar_arrangements" ADD CONSTRAINT "calendar_arrangements_imported_by_users_id_fk" FOREIGN KEY ("imported_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notification_tickets_ticket_idx" ON "notification_tickets" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "calendar_arrangements_year_idx" ON "calendar_arrangements" USING btree ("year");--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_extensions_granted_check" CHECK ("tickets"."extensions_granted" >= 0);--> statement-breakpoint
ALTER TABLE "ticket_events" ADD CONSTRAINT "ticket_events_type_check" CHECK (type in ('ISSUE', 'ACKNOWLEDGE', 'SUBMIT_RECTIFICATION', 'VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN', 'ESCALATE', 'REQUEST_EXTENSION', 'APPROVE_EXTENSION', 'REFUSE_EXTENSION'));--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_kind_check" CHECK (kind in ('issued', 'reminder', 'escalation', 'submitted', 'rejected', 'verified', 'withdrawn', 'reassigned', 'extended', 'verify_reminder', 'reassigned_away', 'extension_requested', 'extension_approved', 'extension_refused'));