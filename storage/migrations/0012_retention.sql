-- A year unattended: the audit log can be archived per period. An archive writes a checkpoint
-- entry (chained like any other, holding the archived segment's head hash) and may then delete
-- the entries the checkpoint covers, and only those: the rest stays append-only.
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (
    SELECT 1 FROM audit_log c
    WHERE c.action = 'audit_log.checkpoint' AND c.cluster_id IS OLD.cluster_id
      AND json_extract(c.detail, '$.last_id') >= OLD.id
)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE INDEX processed_updates_at ON processed_updates (at);
CREATE INDEX outbox_finished ON outbox (state, sent_at);
