"""Domain exceptions of the dutylog service.

The transport layer maps DomainValidationError to INVALID_ARGUMENT (BadRequest field violation)
and IllegalTransition to FAILED_PRECONDITION (PreconditionFailure).
"""

from __future__ import annotations


class DomainValidationError(ValueError):
    """Invalid input: ``field`` names the offending field, ``description`` says what is wrong."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


class IllegalTransition(Exception):
    """A state change that the current state does not allow.

    ``subject`` names the thing (an alarm, a directive, a shift, a handover), ``from_state`` and
    ``to_state`` the attempted change and ``reason`` why it is refused.
    """

    def __init__(self, subject: str, from_state: str, to_state: str, reason: str) -> None:
        super().__init__(f"{subject}: {from_state} -> {to_state} refused: {reason}")
        self.subject = subject
        self.from_state = from_state
        self.to_state = to_state
        self.reason = reason
