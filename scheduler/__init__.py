"""Time: the injected clock now; reminder planning and the outbox dispatcher build on it."""
