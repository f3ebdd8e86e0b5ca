"""Configuration read once from the environment, validated at start, failing with its name.

Every service reads the same platform variables (listed in the README's configuration table);
service-specific variables are read the same way through :func:`read`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration variable is missing or malformed; the message names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def read(
    env: Mapping[str, str],
    name: str,
    parse: Callable[[str], T],
    default: T | None = None,
) -> T:
    """Returns ``parse(env[name])``, or ``default`` when unset or empty and a default is given."""
    raw = env.get(name, "").strip()
    if not raw:
        if default is None:
            raise ConfigError(name, "is required")
        return default
    try:
        return parse(raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(name, f"invalid value {raw!r}: {exc}") from exc


def positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a positive number")
    return value


def boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def listen_address(raw: str) -> str:
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be HOST:PORT, for example 0.0.0.0:50051")
    return raw


def existing_file(raw: str) -> Path:
    path = Path(raw)
    if not path.is_file():
        raise ValueError("file does not exist")
    return path


def s3_endpoint(raw: str) -> str:
    if "://" in raw:
        raise ValueError("give HOST:PORT without a scheme; set S3_SECURE for https")
    return listen_address(raw)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """How bearer tokens are verified and how this service identifies itself to others."""

    issuer: str
    audience: str
    jwks_file: Path
    service_token_file: Path | None


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """gRPC TLS of this process: its own certificate (server side, and client side in mutual
    TLS) and the CA it trusts. Off (plaintext) when nothing is set."""

    cert_file: Path | None
    key_file: Path | None
    ca_file: Path | None
    require_client_cert: bool
    #: A plaintext address serving only grpc.health.v1 (kubelet's gRPC probes speak no TLS).
    health_listen: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TlsConfig:
        def optional_file(name: str) -> Path | None:
            return read(env, name, existing_file) if env.get(name, "").strip() else None

        cert = optional_file("GRPC_TLS_CERT_FILE")
        key = optional_file("GRPC_TLS_KEY_FILE")
        ca = optional_file("GRPC_TLS_CA_FILE")
        client_auth = read(env, "GRPC_TLS_CLIENT_AUTH", str.lower, "none")
        if client_auth not in {"none", "require"}:
            raise ConfigError("GRPC_TLS_CLIENT_AUTH", "must be none or require")
        if (cert is None) != (key is None):
            missing = "GRPC_TLS_KEY_FILE" if key is None else "GRPC_TLS_CERT_FILE"
            raise ConfigError(missing, "is required with the other half of the key pair")
        if client_auth == "require" and (ca is None or cert is None):
            missing = "GRPC_TLS_CA_FILE" if ca is None else "GRPC_TLS_CERT_FILE"
            raise ConfigError(missing, "is required when GRPC_TLS_CLIENT_AUTH=require")
        health = (
            read(env, "GRPC_HEALTH_LISTEN", listen_address)
            if env.get("GRPC_HEALTH_LISTEN", "").strip()
            else None
        )
        return cls(cert, key, ca, client_auth == "require", health)


@dataclass(frozen=True, slots=True)
class PlatformConfig:
    """The variables every service reads. See the README's configuration table."""

    service: str
    listen: str
    mongodb_uri: str
    mongodb_database: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_secure: bool
    s3_region: str
    s3_bucket: str
    s3_public_endpoint: str | None
    s3_public_secure: bool
    auth: AuthConfig
    otlp_endpoint: str | None
    log_level: str
    shutdown_grace_seconds: float
    blocking_workers: int
    max_message_bytes: int
    max_concurrent_rpcs: int
    call_timeout_seconds: float
    tls: TlsConfig

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None) -> PlatformConfig:
        env = os.environ if env is None else env
        token_file = env.get("SERVICE_TOKEN_FILE", "").strip()
        log_level = read(env, "LOG_LEVEL", str.upper, "INFO")
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError("LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")
        return cls(
            service=service,
            listen=read(env, "GRPC_LISTEN", listen_address, "127.0.0.1:50051"),
            mongodb_uri=read(env, "MONGODB_URI", str),
            mongodb_database=read(env, "MONGODB_DATABASE", str, f"customs_{service}"),
            s3_endpoint=read(env, "S3_ENDPOINT", s3_endpoint),
            s3_access_key=read(env, "S3_ACCESS_KEY", str),
            s3_secret_key=read(env, "S3_SECRET_KEY", str),
            s3_secure=read(env, "S3_SECURE", boolean, False),
            s3_region=read(env, "S3_REGION", str, "us-east-1"),
            s3_bucket=read(env, "S3_BUCKET", str, f"customs-{service}"),
            s3_public_endpoint=(
                read(env, "S3_PUBLIC_ENDPOINT", s3_endpoint)
                if env.get("S3_PUBLIC_ENDPOINT", "").strip()
                else None
            ),
            s3_public_secure=read(env, "S3_PUBLIC_SECURE", boolean, False),
            auth=AuthConfig(
                issuer=read(env, "AUTH_ISSUER", str),
                audience=read(env, "AUTH_AUDIENCE", str, "customs-suite"),
                jwks_file=read(env, "AUTH_JWKS_FILE", existing_file),
                service_token_file=(
                    read(env, "SERVICE_TOKEN_FILE", existing_file) if token_file else None
                ),
            ),
            otlp_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or None,
            log_level=log_level,
            shutdown_grace_seconds=read(env, "SHUTDOWN_GRACE_SECONDS", positive_float, 10.0),
            blocking_workers=read(env, "BLOCKING_WORKERS", positive_int, 4),
            max_message_bytes=read(env, "GRPC_MAX_MESSAGE_BYTES", positive_int, 8 * 1024 * 1024),
            max_concurrent_rpcs=read(env, "GRPC_MAX_CONCURRENT_RPCS", positive_int, 256),
            call_timeout_seconds=read(env, "CALL_TIMEOUT_SECONDS", positive_float, 5.0),
            tls=TlsConfig.from_env(env),
        )
