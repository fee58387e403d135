-- Links to the meeting's projector page (issue #18): read-only, unguessable, expiring; only the
-- token's hash is kept, so a copy of the database opens no screen.
CREATE TABLE screen_links (
    token_hash  TEXT PRIMARY KEY,
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX screen_links_expiry ON screen_links (expires_at);
