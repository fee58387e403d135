"""Use cases: each takes the database, the clock and settings, checks authorization, and
raises domain errors carrying i18n keys."""
