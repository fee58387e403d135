-- A year unattended: the audit log can be archived per period. An archive writes a checkpoint
-- entry (chained like any other, holding the archived segment's head hash) and may then delete
-- the entries the checkpoint covers, and only those: the rest stays append-only.
DROP TRIGGER audit_log_no_delete ON audit_log;
CREATE FUNCTION audit_log_delete_archived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM audit_log c
        WHERE c.action = 'audit_log.checkpoint' AND c.cluster_id IS NOT DISTINCT FROM OLD.cluster_id
          AND (c.detail::jsonb ->> 'last_id')::bigint >= OLD.id
    ) THEN
        RAISE EXCEPTION 'audit_log is append-only';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_delete_archived();

CREATE INDEX processed_updates_at ON processed_updates (at);
CREATE INDEX outbox_finished ON outbox (state, sent_at);
