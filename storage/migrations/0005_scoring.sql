-- Scoring rounds (đợt chấm điểm) with their scale, one score sheet per unit and round, and the
-- scores (self and verified) per criterion. Scores are decimal strings, never floats.
CREATE TABLE scoring_rounds (
    id          INTEGER PRIMARY KEY,
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    period_id   INTEGER NOT NULL REFERENCES periods(id),
    key         TEXT NOT NULL,
    title       TEXT NOT NULL,
    scale_yaml  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (period_id, key)
);

CREATE TABLE score_sheets (
    id            INTEGER PRIMARY KEY,
    round_id      INTEGER NOT NULL REFERENCES scoring_rounds(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    status        TEXT NOT NULL DEFAULT 'draft',
    submitted_at  TEXT,
    updated_at    TEXT NOT NULL,
    UNIQUE (round_id, unit_id)
);

CREATE TABLE sheet_scores (
    sheet_id         INTEGER NOT NULL REFERENCES score_sheets(id),
    code             TEXT NOT NULL,
    self_value       TEXT,
    note             TEXT,
    verified_value   TEXT,
    verified_reason  TEXT,
    PRIMARY KEY (sheet_id, code)
);
