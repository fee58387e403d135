-- A unit's evidence file per score item (minh chứng); the note column already exists.
ALTER TABLE sheet_scores ADD COLUMN evidence_file_id INTEGER REFERENCES files(id);
