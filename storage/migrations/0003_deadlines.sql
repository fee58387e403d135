-- Deadlines (hạn báo cáo), which units owe them, who is done, the planned reminders, and the
-- outbox every notification goes through (one row per recipient, unique dedupe key).
CREATE TABLE deadlines (
    id             INTEGER PRIMARY KEY,
    cluster_id     INTEGER NOT NULL REFERENCES clusters(id),
    title          TEXT NOT NULL,
    due_at         TEXT NOT NULL,
    revision       INTEGER NOT NULL DEFAULT 1,
    status         TEXT NOT NULL DEFAULT 'open',
    policy         TEXT,
    scoring_round  TEXT,
    recurrence     TEXT,
    created_by     TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX deadlines_by_cluster ON deadlines (cluster_id, status, due_at);

CREATE TABLE deadline_units (
    deadline_id  INTEGER NOT NULL REFERENCES deadlines(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (deadline_id, unit_id)
);

CREATE TABLE deadline_completions (
    deadline_id   INTEGER NOT NULL REFERENCES deadlines(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    done_at       TEXT NOT NULL,
    by_member     INTEGER REFERENCES members(id),
    file_name     TEXT,
    file_data     BLOB,
    confirmed_at  TEXT,
    PRIMARY KEY (deadline_id, unit_id)
);

CREATE TABLE reminders (
    id           INTEGER PRIMARY KEY,
    deadline_id  INTEGER NOT NULL REFERENCES deadlines(id),
    revision     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    days         INTEGER NOT NULL,
    at           TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'planned',
    handled_at   TEXT,
    UNIQUE (deadline_id, revision, kind, days)
);
CREATE INDEX reminders_due ON reminders (state, at);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    dedupe_key       TEXT NOT NULL UNIQUE,
    cluster_id       INTEGER REFERENCES clusters(id),
    member_id        INTEGER REFERENCES members(id),
    channel          TEXT NOT NULL,
    chat_id          TEXT NOT NULL,
    payload          TEXT NOT NULL,
    subject          TEXT,
    state            TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
CREATE INDEX outbox_pending ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_subject ON outbox (subject);
