"""Domain exceptions of the scanner service (shared definitions; see the platform module)."""

from services.platform.domain_errors import DomainValidationError, IllegalTransition

__all__ = ["DomainValidationError", "IllegalTransition"]
