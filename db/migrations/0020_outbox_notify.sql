-- Wakes the outbox workers of every server when emails are queued: NOTIFY is delivered at commit,
-- once per transaction, so a worker never looks before the rows are visible. Polling stays as the
-- fallback (a worker whose listening connection dropped, a retry's later attempt).
CREATE FUNCTION "notify_outbox"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rectify_outbox', '');
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "notifications_notify_outbox" AFTER INSERT ON "notifications" FOR EACH STATEMENT EXECUTE FUNCTION "notify_outbox"();
