-- For channels without buttons or uploads (Zalo).
-- The choices of the last message with choices in each chat, answered later by number or label.
-- No time column: while a ballot is being filled in, this row holds its marks, and nothing here
-- should tell when a unit voted. The row is deleted (secure_delete) when the receipt comes.
CREATE TABLE chat_menus (
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    message_ref TEXT NOT NULL,
    choices     TEXT NOT NULL,  -- JSON [[label, action], ...]
    by_label    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, chat_id)
);

-- Files offered by an unguessable link, since the platform takes photos by URL and no documents.
-- One link per content: a chart sent to every member is stored once.
CREATE TABLE file_links (
    token       TEXT PRIMARY KEY,
    digest      TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    mime_type   TEXT,
    data        BYTEA NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX file_links_expiry ON file_links (expires_at);
