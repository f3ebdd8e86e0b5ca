"""Domain exceptions; the transport layer maps them to gRPC status codes with details."""

from __future__ import annotations


class DomainValidationError(ValueError):
    """Bad input: ``field`` names the offending field, ``description`` says what is wrong.

    Mapped to INVALID_ARGUMENT with a BadRequest field violation.
    """

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


class IllegalTransition(Exception):
    """A state change that is not allowed from the current state.

    Mapped to FAILED_PRECONDITION with a PreconditionFailure violation on ``subject``.
    """

    def __init__(self, subject: str, from_state: str, to_state: str, reason: str) -> None:
        super().__init__(f"{subject}: cannot go from {from_state} to {to_state}: {reason}")
        self.subject = subject
        self.from_state = from_state
        self.to_state = to_state
        self.reason = reason
