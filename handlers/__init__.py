"""Channel-agnostic handlers: parse an Incoming, call one service, return Reply objects."""
