"""Domain errors carry an i18n key and parameters; the handler wrapper renders them."""

from __future__ import annotations


class DomainError(Exception):
    key = "error.generic"

    def __init__(self, key: str | None = None, /, **params: object) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(self.key, params)


class NotAMember(DomainError):
    key = "error.not_member"


class Forbidden(DomainError):
    key = "error.forbidden"


class InvalidInput(DomainError):
    key = "error.invalid_input"


class NotFound(DomainError):
    key = "error.not_found"


class InviteUnusable(DomainError):
    """Unknown, expired or revoked invite: the key says which."""

    key = "invite.unknown"


class AlreadyMember(DomainError):
    key = "join.already_member"


class FileInvalid(DomainError):
    """Every problem of an uploaded file (cluster list, calendar), listed at once."""

    def __init__(
        self, problems: list[tuple[str, dict[str, object]]], key: str = "cluster_file.invalid"
    ) -> None:
        super().__init__(key, count=len(problems))
        self.problems = problems
