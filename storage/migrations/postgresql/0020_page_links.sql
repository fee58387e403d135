-- Signed links to a person's own web pages where the platform has no Mini Apps (Zalo) and for
-- read-only views (issue #18): the person and what the link opens; only the token's hash is kept.
CREATE TABLE page_links (
    token_hash  TEXT PRIMARY KEY,
    page        TEXT NOT NULL,  -- sheet | sheets
    channel     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX page_links_expiry ON page_links (expires_at);
