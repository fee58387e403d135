-- Official documents (issue #15): the cluster's letterhead (issuing body lines, place name, the
-- council its nominations go to), the meeting's place and people, and the documents' numbers.
ALTER TABLE clusters ADD COLUMN letterhead TEXT;  -- JSON {issuer: [...], place, council}
ALTER TABLE meetings ADD COLUMN place TEXT;
ALTER TABLE meetings ADD COLUMN chair_name TEXT;
ALTER TABLE meetings ADD COLUMN chair_position TEXT;
ALTER TABLE meetings ADD COLUMN secretary_name TEXT;
ALTER TABLE meetings ADD COLUMN counters TEXT;  -- JSON [names] of the counting board

-- One number per document, kept when it is made again (after a corrected name): numbers run
-- from 01 each year, per cluster and kind of document (BB, TTr, BC).
CREATE TABLE document_numbers (
    cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
    year        INTEGER NOT NULL,
    symbol      TEXT NOT NULL,
    subject     TEXT NOT NULL,  -- what it records: "ballot:12", "meeting:3", "award:3:Cờ …"
    number      INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, symbol, subject),
    UNIQUE (cluster_id, year, symbol, number)
);
