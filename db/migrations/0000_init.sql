CREATE TABLE "units" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"aliases" text[] DEFAULT '{}'::text[] NOT NULL,
	"kind" text NOT NULL,
	"parent_id" integer,
	"path" text NOT NULL,
	"emails" text[] DEFAULT '{}'::text[] NOT NULL,
	"contact_name" text,
	"contact_phone" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "units_code_unique" UNIQUE("code"),
	CONSTRAINT "units_name_unique" UNIQUE("name"),
	CONSTRAINT "units_kind_check" CHECK ("units"."kind" in ('city_department', 'county', 'township', 'other')),
	CONSTRAINT "units_code_check" CHECK ("units"."code" ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
	CONSTRAINT "units_name_check" CHECK (length(trim("units"."name")) > 0),
	CONSTRAINT "units_path_check" CHECK ("units"."path" ~ '^(/[0-9]+)+/$')
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"unit_id" integer NOT NULL,
	"display_name" text,
	"email" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username"),
	CONSTRAINT "users_role_check" CHECK ("users"."role" in ('admin', 'supervisor', 'officer')),
	CONSTRAINT "users_username_check" CHECK ("users"."username" ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$')
);
--> statement-breakpoint
CREATE TABLE "inspections" (
	"id" serial PRIMARY KEY NOT NULL,
	"short_code" text NOT NULL,
	"title" text NOT NULL,
	"document_number" text,
	"issued_on" date NOT NULL,
	"sampling_from" date,
	"sampling_to" date,
	"feedback_deadline" date,
	"due_working_days" integer,
	"issuing_unit_id" integer NOT NULL,
	"policy" jsonb NOT NULL,
	"scope" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inspections_short_code_unique" UNIQUE("short_code"),
	CONSTRAINT "inspections_short_code_check" CHECK ("inspections"."short_code" ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$'),
	CONSTRAINT "inspections_due_check" CHECK (("inspections"."feedback_deadline" is not null) <> ("inspections"."due_working_days" is not null)),
	CONSTRAINT "inspections_deadline_after_issue_check" CHECK ("inspections"."feedback_deadline" is null or "inspections"."feedback_deadline" >= "inspections"."issued_on"),
	CONSTRAINT "inspections_due_working_days_check" CHECK ("inspections"."due_working_days" is null or "inspections"."due_working_days" between 1 and 365),
	CONSTRAINT "inspections_sampling_check" CHECK ("inspections"."sampling_from" is null or "inspections"."sampling_to" is null or "inspections"."sampling_from" <= "inspections"."sampling_to")
);
--> statement-breakpoint
CREATE TABLE "targets" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"platform" text,
	"name" text NOT NULL,
	"url" text,
	"owner_unit_id" integer,
	"county" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "targets_identity_key" UNIQUE NULLS NOT DISTINCT("kind","platform","name","owner_unit_id"),
	CONSTRAINT "targets_kind_check" CHECK ("targets"."kind" in ('website', 'new_media')),
	CONSTRAINT "targets_platform_check" CHECK (("targets"."kind" = 'website' and "targets"."platform" is null) or ("targets"."kind" = 'new_media' and "targets"."platform" in ('wechat_subscription', 'wechat_service', 'weibo', 'douyin', 'toutiao', 'yidian', 'other'))),
	CONSTRAINT "targets_name_check" CHECK (length(trim("targets"."name")) > 0)
);
--> statement-breakpoint
CREATE TABLE "findings" (
	"id" serial PRIMARY KEY NOT NULL,
	"inspection_id" integer NOT NULL,
	"target_id" integer NOT NULL,
	"unit_id" integer NOT NULL,
	"outstanding" boolean DEFAULT true NOT NULL,
	"last_updated_on" date,
	"note" text,
	"problems_text" text NOT NULL,
	"source_row" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "findings_inspection_target_key" UNIQUE("inspection_id","target_id"),
	CONSTRAINT "findings_source_row_check" CHECK ("findings"."source_row" is null or "findings"."source_row" > 0)
);
--> statement-breakpoint
CREATE TABLE "finding_problems" (
	"finding_id" integer NOT NULL,
	"position" integer NOT NULL,
	"problem_code" text NOT NULL,
	"text" text NOT NULL,
	CONSTRAINT "finding_problems_finding_id_position_pk" PRIMARY KEY("finding_id","position"),
	CONSTRAINT "finding_problems_position_check" CHECK ("finding_problems"."position" >= 0)
);
--> statement-breakpoint
CREATE TABLE "problem_types" (
	"code" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"aliases" text[] DEFAULT '{}'::text[] NOT NULL,
	"applies_to" text DEFAULT 'any' NOT NULL,
	CONSTRAINT "problem_types_label_unique" UNIQUE("label"),
	CONSTRAINT "problem_types_code_check" CHECK ("problem_types"."code" ~ '^[a-z][a-z0-9_]{1,63}$'),
	CONSTRAINT "problem_types_applies_to_check" CHECK ("problem_types"."applies_to" in ('website', 'new_media', 'any'))
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"inspection_id" integer NOT NULL,
	"finding_id" integer NOT NULL,
	"unit_id" integer NOT NULL,
	"state" text DEFAULT 'issued' NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"due_provisional" boolean DEFAULT false NOT NULL,
	"escalation_level" integer DEFAULT 0 NOT NULL,
	"rejections" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"next_action_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"rectified_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	CONSTRAINT "tickets_number_unique" UNIQUE("number"),
	CONSTRAINT "tickets_finding_id_unique" UNIQUE("finding_id"),
	CONSTRAINT "tickets_state_check" CHECK ("tickets"."state" in ('issued', 'acknowledged', 'rectified', 'verified', 'withdrawn')),
	CONSTRAINT "tickets_escalation_level_check" CHECK ("tickets"."escalation_level" between 0 and 10),
	CONSTRAINT "tickets_rejections_check" CHECK ("tickets"."rejections" >= 0),
	CONSTRAINT "tickets_version_check" CHECK ("tickets"."version" >= 1)
);
--> statement-breakpoint
CREATE TABLE "ticket_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ticket_id" integer NOT NULL,
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
	CONSTRAINT "ticket_events_ticket_seq_key" UNIQUE("ticket_id","seq"),
	CONSTRAINT "ticket_events_seq_check" CHECK ("ticket_events"."seq" >= 1),
	CONSTRAINT "ticket_events_type_check" CHECK ("ticket_events"."type" in ('ISSUE', 'ACKNOWLEDGE', 'SUBMIT_RECTIFICATION', 'VERIFY', 'REJECT', 'WITHDRAW', 'EXTEND_DEADLINE', 'REASSIGN', 'ESCALATE')),
	CONSTRAINT "ticket_events_to_state_check" CHECK (to_state in ('issued', 'acknowledged', 'rectified', 'verified', 'withdrawn')),
	CONSTRAINT "ticket_events_hash_check" CHECK ("ticket_events"."hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "ticket_deadline_actions" (
	"ticket_id" integer NOT NULL,
	"kind" text NOT NULL,
	"step" integer NOT NULL,
	"basis" timestamp with time zone NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ticket_deadline_actions_ticket_id_kind_step_basis_pk" PRIMARY KEY("ticket_id","kind","step","basis"),
	CONSTRAINT "ticket_deadline_actions_kind_check" CHECK ("ticket_deadline_actions"."kind" in ('reminder', 'escalation', 'verify_reminder'))
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ticket_id" integer,
	"event_id" bigint,
	"kind" text NOT NULL,
	"unit_ids" integer[] DEFAULT '{}'::int[] NOT NULL,
	"recipients" text[] NOT NULL,
	"subject" text NOT NULL,
	"body_text" text NOT NULL,
	"body_html" text NOT NULL,
	"message_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "notifications_message_id_unique" UNIQUE("message_id"),
	CONSTRAINT "notifications_kind_check" CHECK ("notifications"."kind" in ('issued', 'reminder', 'escalation', 'submitted', 'rejected', 'verified', 'withdrawn', 'reassigned', 'extended', 'verify_reminder')),
	CONSTRAINT "notifications_status_check" CHECK ("notifications"."status" in ('pending', 'sending', 'sent', 'failed')),
	CONSTRAINT "notifications_attempts_check" CHECK ("notifications"."attempts" >= 0)
);
--> statement-breakpoint
CREATE TABLE "calendar_overrides" (
	"day" date PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"note" text,
	"updated_by" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calendar_overrides_kind_check" CHECK ("calendar_overrides"."kind" in ('workday', 'restday'))
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"actor_user_id" integer,
	"action" text NOT NULL,
	"entity" text NOT NULL,
	"entity_key" text NOT NULL,
	"details" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "units" ADD CONSTRAINT "units_parent_id_units_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_issuing_unit_id_units_id_fk" FOREIGN KEY ("issuing_unit_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_owner_unit_id_units_id_fk" FOREIGN KEY ("owner_unit_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finding_problems" ADD CONSTRAINT "finding_problems_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finding_problems" ADD CONSTRAINT "finding_problems_problem_code_problem_types_code_fk" FOREIGN KEY ("problem_code") REFERENCES "public"."problem_types"("code") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_events" ADD CONSTRAINT "ticket_events_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_events" ADD CONSTRAINT "ticket_events_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_deadline_actions" ADD CONSTRAINT "ticket_deadline_actions_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_event_id_ticket_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."ticket_events"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calendar_overrides" ADD CONSTRAINT "calendar_overrides_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "units_parent_idx" ON "units" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "units_path_idx" ON "units" USING btree ("path" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "users_unit_idx" ON "users" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "inspections_issuing_unit_idx" ON "inspections" USING btree ("issuing_unit_id");--> statement-breakpoint
CREATE INDEX "findings_unit_idx" ON "findings" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "tickets_unit_state_due_idx" ON "tickets" USING btree ("unit_id","state","due_at","id");--> statement-breakpoint
CREATE INDEX "tickets_state_due_idx" ON "tickets" USING btree ("state","due_at","id");--> statement-breakpoint
CREATE INDEX "tickets_inspection_idx" ON "tickets" USING btree ("inspection_id","id");--> statement-breakpoint
CREATE INDEX "tickets_next_action_idx" ON "tickets" USING btree ("next_action_at") WHERE "tickets"."next_action_at" is not null;--> statement-breakpoint
CREATE INDEX "ticket_events_actor_idx" ON "ticket_events" USING btree ("actor_user_id");--> statement-breakpoint
CREATE INDEX "notifications_due_idx" ON "notifications" USING btree ("next_attempt_at") WHERE "notifications"."status" in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "notifications_ticket_idx" ON "notifications" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "notifications_status_idx" ON "notifications" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("entity","entity_key");