"""Domain exceptions of the seal service, mapped by the transport layer to canonical errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.platform.domain_errors import DomainValidationError, IllegalTransition

if TYPE_CHECKING:
    from services.seal.domain.alerts import AlertEvent


class RemovalRefused(IllegalTransition):
    """A seal removal outside the destination geofence.

    The removal is refused like any illegal transition, and the caller MUST also persist
    ``alert`` (an OPENED ``UNAUTHORISED_REMOVAL`` event) in its outbox: somebody is trying to
    take the seal off a container in transit.
    """

    def __init__(self, subject: str, from_state: str, reason: str, alert: AlertEvent) -> None:
        super().__init__(subject, from_state, "REMOVED", reason)
        self.alert = alert


__all__ = ["DomainValidationError", "IllegalTransition", "RemovalRefused"]
