-- Entries made since a sheet was returned: resubmitting a returned sheet unchanged is most often a
-- mistake, and the unit is asked once more (issue #16).
ALTER TABLE score_sheets ADD COLUMN edits_since_return INTEGER NOT NULL DEFAULT 0;
