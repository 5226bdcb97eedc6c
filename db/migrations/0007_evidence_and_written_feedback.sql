CREATE TABLE "feedback_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"feedback_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"actor_user_id" integer,
	"actor" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL,
	CONSTRAINT "feedback_events_feedback_seq_key" UNIQUE("feedback_id","seq"),
	CONSTRAINT "feedback_events_seq_check" CHECK ("feedback_events"."seq" >= 1),
	CONSTRAINT "feedback_events_type_check" CHECK (type in ('SUBMIT_FEEDBACK', 'ACCEPT_FEEDBACK', 'RETURN_FEEDBACK')),
	CONSTRAINT "feedback_events_to_state_check" CHECK (to_state in ('pending', 'submitted', 'accepted', 'returned')),
	CONSTRAINT "feedback_events_hash_check" CHECK ("feedback_events"."hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "feedbacks" (
	"id" serial PRIMARY KEY NOT NULL,
	"inspection_id" integer NOT NULL,
	"unit_id" integer NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"returns" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"first_submitted_at" timestamp with time zone,
	"submitted_at" timestamp with time zone,
	"accepted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "feedbacks_inspection_unit_key" UNIQUE("inspection_id","unit_id"),
	CONSTRAINT "feedbacks_state_check" CHECK (state in ('pending', 'submitted', 'accepted', 'returned')),
	CONSTRAINT "feedbacks_version_check" CHECK ("feedbacks"."version" >= 1),
	CONSTRAINT "feedbacks_returns_check" CHECK ("feedbacks"."returns" >= 0)
);
--> statement-breakpoint
CREATE TABLE "attachment_refs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"attachment_id" text NOT NULL,
	"ticket_id" integer,
	"feedback_id" integer,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "attachment_refs_one_owner_check" CHECK (("attachment_refs"."ticket_id" is null) <> ("attachment_refs"."feedback_id" is null))
);
--> statement-breakpoint
CREATE TABLE "attachments" (
	"id" text PRIMARY KEY NOT NULL,
	"sha256" text NOT NULL,
	"name" text NOT NULL,
	"size" bigint NOT NULL,
	"content_type" text NOT NULL,
	"uploaded_by" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "attachments_sha256_check" CHECK ("attachments"."sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "attachments_size_check" CHECK ("attachments"."size" >= 0),
	CONSTRAINT "attachments_name_check" CHECK (length("attachments"."name") between 1 and 255)
);
--> statement-breakpoint
ALTER TABLE "notifications" DROP CONSTRAINT "notifications_kind_check";--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "feedback_id" integer;--> statement-breakpoint
ALTER TABLE "feedback_events" ADD CONSTRAINT "feedback_events_feedback_id_feedbacks_id_fk" FOREIGN KEY ("feedback_id") REFERENCES "public"."feedbacks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback_events" ADD CONSTRAINT "feedback_events_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedbacks" ADD CONSTRAINT "feedbacks_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedbacks" ADD CONSTRAINT "feedbacks_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attachment_refs" ADD CONSTRAINT "attachment_refs_attachment_id_attachments_id_fk" FOREIGN KEY ("attachment_id") REFERENCES "public"."attachments"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attachment_refs" ADD CONSTRAINT "attachment_refs_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attachment_refs" ADD CONSTRAINT "attachment_refs_feedback_id_feedbacks_id_fk" FOREIGN KEY ("feedback_id") REFERENCES "public"."feedbacks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "feedbacks_unit_idx" ON "feedbacks" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "feedbacks_state_due_idx" ON "feedbacks" USING btree ("state","due_at");--> statement-breakpoint
CREATE INDEX "attachment_refs_attachment_idx" ON "attachment_refs" USING btree ("attachment_id");--> statement-breakpoint
CREATE INDEX "attachment_refs_ticket_idx" ON "attachment_refs" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "attachment_refs_feedback_idx" ON "attachment_refs" USING btree ("feedback_id");--> statement-breakpoint
CREATE INDEX "attachments_sha256_idx" ON "attachments" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "attachments_created_idx" ON "attachments" USING btree ("created_at");--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_feedback_id_feedbacks_id_fk" FOREIGN KEY ("feedback_id") REFERENCES "public"."feedbacks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notifications_feedback_idx" ON "notifications" USING btree ("feedback_id");--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_kind_check" CHECK (kind in ('issued', 'reminder', 'escalation', 'submitted', 'rejected', 'verified', 'withdrawn', 'reassigned', 'extended', 'verify_reminder', 'feedback_submitted', 'feedback_accepted', 'feedback_returned'));