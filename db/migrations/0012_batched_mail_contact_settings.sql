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
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "contact_name" text;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "contact_phone" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "cc_unit_ids" integer[] DEFAULT '{}'::int[] NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "reference" text;--> statement-breakpoint
ALTER TABLE "notification_tickets" ADD CONSTRAINT "notification_tickets_notification_id_notifications_id_fk" FOREIGN KEY ("notification_id") REFERENCES "public"."notifications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_tickets" ADD CONSTRAINT "notification_tickets_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verify_digests" ADD CONSTRAINT "verify_digests_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verify_digests" ADD CONSTRAINT "verify_digests_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verify_digests" ADD CONSTRAINT "verify_digests_notification_id_notifications_id_fk" FOREIGN KEY ("notification_id") REFERENCES "public"."notifications"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notification_tickets_ticket_idx" ON "notification_tickets" USING btree ("ticket_id");