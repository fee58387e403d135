-- What a deadline asks for and how (issue #16): a report owed by units, or an event they attend
-- (no "reported" button, no overdue notices); a description, how to submit, and a template file.
ALTER TABLE deadlines ADD COLUMN kind TEXT NOT NULL DEFAULT 'report';
ALTER TABLE deadlines ADD COLUMN description TEXT;
ALTER TABLE deadlines ADD COLUMN how TEXT;
ALTER TABLE deadlines ADD COLUMN template_file_id INTEGER REFERENCES files(id);
