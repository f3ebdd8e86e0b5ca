"""Errors that domain and storage code raise, and how they become gRPC statuses.

Domain code raises these plain exceptions; the call guard (:mod:`services.platform.guard`) turns
them into canonical status codes with google.rpc details: ``BadRequest`` field violations for
invalid input, ``PreconditionFailure`` for illegal state transitions, and always an ``ErrorInfo``
with an UPPER_SNAKE reason and the service as domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One invalid field: its path in the request (``scanner.pixel_pitch_mm``) and why."""

    field: str
    description: str


@dataclass(frozen=True, slots=True)
class PreconditionViolation:
    """One unmet precondition: ``type`` (e.g. ``STATE``), the subject's name, and why."""

    type: str
    subject: str
    description: str


@dataclass
class ServiceError(Exception):
    """Base of the errors that map onto a canonical status."""

    message: str
    reason: str = "ERROR"
    metadata: Mapping[str, str] = field(default_factory=dict)

    code = grpc.StatusCode.UNKNOWN

    def __str__(self) -> str:
        return self.message


@dataclass
class InvalidArgument(ServiceError):
    violations: Sequence[FieldViolation] = ()
    code = grpc.StatusCode.INVALID_ARGUMENT

    @classmethod
    def one(cls, field_path: str, description: str) -> InvalidArgument:
        return cls(
            message=f"{field_path}: {description}",
            reason="INVALID_ARGUMENT",
            violations=[FieldViolation(field_path, description)],
        )


@dataclass
class FailedPrecondition(ServiceError):
    violations: Sequence[PreconditionViolation] = ()
    code = grpc.StatusCode.FAILED_PRECONDITION


@dataclass
class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND


@dataclass
class AlreadyExists(ServiceError):
    code = grpc.StatusCode.ALREADY_EXISTS


@dataclass
class Unauthenticated(ServiceError):
    code = grpc.StatusCode.UNAUTHENTICATED


@dataclass
class PermissionDenied(ServiceError):
    code = grpc.StatusCode.PERMISSION_DENIED


@dataclass
class Unavailable(ServiceError):
    code = grpc.StatusCode.UNAVAILABLE


@dataclass
class ResourceExhausted(ServiceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


def collect(violations: Sequence[FieldViolation]) -> None:
    """Raises one InvalidArgument naming every violation, if there is any."""
    if violations:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        raise InvalidArgument(
            message=f"{first.field}: {first.description}{more}",
            reason="INVALID_ARGUMENT",
            violations=list(violations),
        )


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def to_status(error: ServiceError, domain: str) -> status_pb2.Status:
    """The google.rpc.Status, with details, for ``error`` raised in service ``domain``."""
    details = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=error.reason, domain=domain, metadata=dict(error.metadata)
            )
        )
    ]
    if isinstance(error, InvalidArgument):
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in error.violations
                    ]
                )
            )
        )
    elif isinstance(error, FailedPrecondition):
        details.append(
            _pack(
                error_details_pb2.PreconditionFailure(
                    violations=[
                        error_details_pb2.PreconditionFailure.Violation(
                            type=v.type, subject=v.subject, description=v.description
                        )
                        for v in error.violations
                    ]
                )
            )
        )
    code_value: int = error.code.value[0]
    assert code_pb2.Code.Name(code_value)  # every grpc.StatusCode is a google.rpc.Code
    return status_pb2.Status(code=code_value, message=error.message, details=details)
