-- Ballot secrecy that survives a copy of the database (DESIGN §3, "Secrecy").
-- While a secret ballot is open its papers are sealed to the ballot's public key; the private key
-- is stored only encrypted under the server's secret. At close the papers are opened, counted and
-- stored shuffled (ballot_papers) with no receipt beside them; receipts are kept apart, sorted
-- (ballot_receipts), so each unit can find its own but none can show how it voted.
ALTER TABLE ballots ADD COLUMN seal_public BYTEA;
ALTER TABLE ballots ADD COLUMN seal_private BYTEA;

CREATE TABLE sealed_papers (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    id         BYTEA NOT NULL,           -- random: rows sort in no order related to casting
    paper      BYTEA NOT NULL,           -- sealed box of a fixed-width mask of marked positions
    PRIMARY KEY (ballot_id, id)
);

CREATE TABLE ballot_papers (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    position   BIGINT NOT NULL,         -- a random key while open, the shuffled order once closed
    choices    TEXT NOT NULL,           -- JSON list of candidate positions; [] marks none
    PRIMARY KEY (ballot_id, position)
);

CREATE TABLE ballot_receipts (
    ballot_id  INTEGER NOT NULL REFERENCES ballots(id),
    receipt    TEXT NOT NULL,
    PRIMARY KEY (ballot_id, receipt)
);

-- Ballots counted before: their receipts apart, their papers in a random order.
INSERT INTO ballot_receipts (ballot_id, receipt) SELECT ballot_id, receipt FROM ballot_box;
INSERT INTO ballot_papers (ballot_id, position, choices)
    SELECT ballot_id, ROW_NUMBER() OVER (PARTITION BY ballot_id ORDER BY random()), choices
    FROM ballot_box;
DROP TABLE ballot_box;
