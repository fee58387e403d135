"""SQLite storage: the only place that holds SQL."""
