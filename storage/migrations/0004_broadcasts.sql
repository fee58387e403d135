-- Announcements (thông báo) from the secretariat, files they carry, and who acknowledged them.
-- Delivery status lives in the outbox (subject 'broadcast:<id>').
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    mime_type   TEXT,
    data        BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    text        TEXT NOT NULL,
    file_id     INTEGER REFERENCES files(id),
    audience    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE broadcast_recipients (
    broadcast_id     INTEGER NOT NULL REFERENCES broadcasts(id),
    member_id        INTEGER NOT NULL REFERENCES members(id),
    acknowledged_at  TEXT,
    PRIMARY KEY (broadcast_id, member_id)
);
