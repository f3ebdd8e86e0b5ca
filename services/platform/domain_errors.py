"""The two exceptions pure domain code raises; imports nothing, so domain modules stay pure.

The call guard maps them: DomainValidationError → INVALID_ARGUMENT with a BadRequest field
violation; IllegalTransition → FAILED_PRECONDITION with a PreconditionFailure violation.
"""

from __future__ import annotations


class DomainValidationError(ValueError):
    """Bad input: ``field`` names the offending field, ``description`` says what is wrong."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


class IllegalTransition(Exception):
    """A state change the current state does not allow.

    ``subject`` names the thing (a seal, a scan, an alarm), ``from_state`` and ``to_state`` the
    attempted change and ``reason`` why it is refused.
    """

    def __init__(self, subject: str, from_state: str, to_state: str, reason: str) -> None:
        super().__init__(f"{subject}: {from_state} -> {to_state} refused: {reason}")
        self.subject = subject
        self.from_state = from_state
        self.to_state = to_state
        self.reason = reason
