"""Domain errors: each says what was refused and why, and maps to one HTTP status at the edge."""

from __future__ import annotations

from uuid import UUID


class CosellError(Exception):
    """Base of every refusal the domain raises; nothing is written when one is raised."""

    title = "Request refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        # What this refusal reveals: (policy leaf, owner of that data or None for the
        # object's owner). A caller that may not read them all gets `otherwise` instead.
        self.reveals: tuple[tuple[str, UUID | None], ...] = ()
        self.otherwise: CosellError | None = None

    def unless_hidden(
        self, leaf: str, otherwise: CosellError, owner: UUID | None = None
    ) -> CosellError:
        """This refusal for a caller that may read `leaf` of `owner`'s data on the object;
        `otherwise`, the answer it would get were that data not there, for any other."""
        self.reveals = (*self.reveals, (leaf, owner))
        self.otherwise = otherwise
        return self


class InvalidCommand(CosellError):
    """The command breaks an invariant of the object it targets."""

    title = "Invalid command"


class NotFound(CosellError):
    """The object does not exist, or the caller may not know that it exists."""

    title = "Not found"


class RoleNotAllowed(CosellError):
    """The caller's roles do not include one that may run this command."""

    title = "Role not allowed"


class NotPermitted(CosellError):
    """The caller may see the object but not change this part of it."""

    title = "Not permitted"


class Conflict(CosellError):
    """The command clashes with the current state of the network."""

    title = "Conflict"


class VersionMismatch(CosellError):
    """The caller named a version other than the current one."""

    title = "Version mismatch"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the object is at version {actual}, not at the expected version {expected}; "
            "read it again and retry with the current version"
        )
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(CosellError):
    """An idempotency key was sent again with a different request."""

    title = "Idempotency key reused"


class Unauthenticated(CosellError):
    """No valid credentials were presented."""

    title = "Unauthenticated"
