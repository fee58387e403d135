"""The engine that wakes on queued work and on time, and the outbox it drains."""
