-- The written feedback's trail is append-only, like ticket_events (0001): the database refuses UPDATE, DELETE and TRUNCATE.
CREATE OR REPLACE FUNCTION feedback_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'feedback_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER feedback_events_no_update_delete
  BEFORE UPDATE OR DELETE ON feedback_events
  FOR EACH ROW EXECUTE FUNCTION feedback_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER feedback_events_no_truncate
  BEFORE TRUNCATE ON feedback_events
  FOR EACH STATEMENT EXECUTE FUNCTION feedback_events_refuse_change();
--> statement-breakpoint
-- Inspections imported before written feedback existed: one pending feedback per unit with tickets,
-- due at the end of the deadline day in Beijing time (UTC+8, no daylight saving), or, for an
-- inspection given in working days, at its unit's earliest ticket due time.
INSERT INTO feedbacks (inspection_id, unit_id, state, due_at)
SELECT t.inspection_id, t.unit_id, 'pending',
       coalesce(((i.feedback_deadline + 1)::timestamp - interval '8 hours' - interval '1 millisecond') AT TIME ZONE 'UTC', min(t.due_at))
FROM tickets t JOIN inspections i ON i.id = t.inspection_id
GROUP BY t.inspection_id, t.unit_id, i.feedback_deadline
ON CONFLICT (inspection_id, unit_id) DO NOTHING;
