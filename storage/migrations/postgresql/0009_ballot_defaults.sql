-- A cluster's rules for new ballots (the cluster file's ballot_defaults), as JSON.
ALTER TABLE clusters ADD COLUMN ballot_defaults TEXT NOT NULL DEFAULT '{}';
