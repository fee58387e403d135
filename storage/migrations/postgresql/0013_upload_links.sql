-- Links to an upload page, for a platform whose users cannot send documents (Zalo). A link is
-- one person's, in one chat, used once and short-lived; only its hash is kept, so a copy of the
-- database opens no upload.
CREATE TABLE upload_links (
    token_hash TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX upload_links_expiry ON upload_links (expires_at);
