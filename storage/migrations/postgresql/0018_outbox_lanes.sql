-- Outbox lanes (issue #17): answers to what a person just did go first, then notices, then bulk
-- announcements, so a 3 000-member broadcast never holds a ballot receipt back.
ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 1;
CREATE INDEX outbox_ready ON outbox (state, lane, next_attempt_at);
