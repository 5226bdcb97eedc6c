-- Emails written before batching each concerned one ticket: list it in notification_tickets too,
-- so a ticket's page keeps showing its earlier emails.
INSERT INTO "notification_tickets" ("notification_id", "ticket_id")
SELECT "id", "ticket_id" FROM "notifications" WHERE "ticket_id" IS NOT NULL
ON CONFLICT DO NOTHING;
