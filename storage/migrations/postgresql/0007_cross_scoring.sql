-- Cross-scoring (chấm chéo): which unit verifies which unit's sheet in a round.
CREATE TABLE cross_scoring (
    round_id          INTEGER NOT NULL REFERENCES scoring_rounds(id),
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    verifier_unit_id  INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (round_id, unit_id)
);
