-- The review meeting (hội nghị bình xét) and its ballots (phiếu bình xét, suy tôn).
-- Secrecy (DESIGN §3): who voted (voter_register) and what was voted (ballot_box) live apart.
-- The box has no unit, no time and no rowid: its rows are keyed by a random receipt, so neither a
-- column nor the row order links a unit to its choices.
CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    title       TEXT NOT NULL,
    opened_by   TEXT,
    opened_at   TEXT NOT NULL,
    closed_at   TEXT
);
CREATE INDEX meetings_by_cluster ON meetings (cluster_id, closed_at);

CREATE TABLE attendance (
    meeting_id     INTEGER NOT NULL REFERENCES meetings(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    checked_in_at  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, unit_id)
);

CREATE TABLE ballots (
    id             INTEGER PRIMARY KEY,
    cluster_id     INTEGER NOT NULL REFERENCES clusters(id),
    meeting_id     INTEGER NOT NULL REFERENCES meetings(id),
    number         INTEGER NOT NULL,
    award          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    quota          INTEGER NOT NULL,
    threshold      TEXT NOT NULL,
    denominator    TEXT NOT NULL,
    secret         INTEGER NOT NULL,
    tie_policy     TEXT NOT NULL,
    close_after    INTEGER,            -- minutes after opening; NULL: the chair closes it
    runoff_of      INTEGER REFERENCES ballots(id),
    status         TEXT NOT NULL DEFAULT 'draft',   -- draft | open | closed
    members        INTEGER,
    present        INTEGER,
    opened_at      TEXT,
    closes_at      TEXT,
    closed_at      TEXT,
    result         TEXT,               -- the count, as JSON, once closed
    decision       TEXT,               -- the chair's decision on a tie, as JSON
    chain_head     TEXT,               -- the audit hash chain's head at close
    created_by     TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (meeting_id, number)
);
CREATE INDEX ballots_open ON ballots (status, closes_at);

CREATE TABLE ballot_candidates (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    position   INTEGER NOT NULL,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (ballot_id, position),
    UNIQUE (ballot_id, unit_id)
);

-- Who may vote (the units present when the ballot opened) and whether they have.
CREATE TABLE voter_register (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    voted      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ballot_id, unit_id)
) WITHOUT ROWID;

CREATE TABLE ballot_box (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    receipt    TEXT NOT NULL,
    choices    TEXT NOT NULL,          -- JSON list of candidate positions; [] is a blank ballot
    PRIMARY KEY (ballot_id, receipt)
) WITHOUT ROWID;

-- Who watches a ballot's live view, and which outbox message to edit in place.
CREATE TABLE ballot_watchers (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    view_key   TEXT NOT NULL,
    edits      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ballot_id, member_id)
);

-- The cluster's group chat per channel (results are posted there too).
CREATE TABLE cluster_chats (
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    PRIMARY KEY (cluster_id, channel)
);

-- The platform's id of each sent message, so a later outbox row can edit it in place.
ALTER TABLE outbox ADD COLUMN sent_ref TEXT;

-- Each audit entry carries the hash of the previous one of its cluster plus its own content.
ALTER TABLE audit_log ADD COLUMN hash TEXT;
