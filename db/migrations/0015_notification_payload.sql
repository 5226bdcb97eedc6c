ALTER TABLE "notifications" ALTER COLUMN "body_text" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "body_html" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "payload" jsonb;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_content_check" CHECK ("notifications"."payload" is not null or ("notifications"."body_text" is not null and "notifications"."body_html" is not null));