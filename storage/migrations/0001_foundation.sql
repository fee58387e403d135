-- Clusters, periods, units, members, invites, conversation state and the audit log.
-- Times are ISO-8601 UTC strings.
CREATE TABLE clusters (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    awards      TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL
);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    UNIQUE (cluster_id, code)
);

CREATE TABLE periods (
    id                  INTEGER PRIMARY KEY,
    cluster_id          INTEGER NOT NULL REFERENCES clusters(id),
    name                TEXT NOT NULL,
    chair_unit_id       INTEGER REFERENCES units(id),
    vice_chair_unit_id  INTEGER REFERENCES units(id),
    UNIQUE (cluster_id, name)
);

CREATE TABLE members (
    id            INTEGER PRIMARY KEY,
    cluster_id    INTEGER NOT NULL REFERENCES clusters(id),
    channel       TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    unit_id       INTEGER REFERENCES units(id),
    roles         TEXT NOT NULL,
    locale        TEXT,
    joined_at     TEXT NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX members_by_unit ON members (unit_id);

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    unit_id     INTEGER REFERENCES units(id),
    role        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT,
    uses        INTEGER NOT NULL DEFAULT 0
);

-- Which step of which flow a person is in, so a restart loses nobody's half-finished dialogue.
CREATE TABLE conversations (
    channel      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    flow         TEXT NOT NULL,
    step         TEXT NOT NULL,
    data         TEXT NOT NULL DEFAULT '{}',
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (channel, external_id)
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    cluster_id  INTEGER,
    actor       TEXT,
    action      TEXT NOT NULL,
    subject     TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
