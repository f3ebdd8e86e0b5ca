"""Gateway configuration from the environment (see the README's configuration table)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.platform.config import (
    AuthConfig,
    ConfigError,
    TlsConfig,
    existing_file,
    listen_address,
    positive_float,
    positive_int,
    read,
)

SERVICES = ("scanner", "camera", "seal", "dutylog")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    listen: str
    addresses: Mapping[str, str]
    auth: AuthConfig
    call_timeout_seconds: float
    log_level: str
    rate_per_second: float
    burst: int
    dossier_timeout_seconds: float
    otlp_endpoint: str | None
    shutdown_grace_seconds: float
    tls: TlsConfig
    https_cert_file: Path | None
    https_key_file: Path | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewayConfig:
        env = os.environ if env is None else env
        https = {
            name: read(env, name, existing_file) if env.get(name, "").strip() else None
            for name in ("GATEWAY_TLS_CERT_FILE", "GATEWAY_TLS_KEY_FILE")
        }
        if (https["GATEWAY_TLS_CERT_FILE"] is None) != (https["GATEWAY_TLS_KEY_FILE"] is None):
            raise ConfigError(
                "GATEWAY_TLS_KEY_FILE"
                if https["GATEWAY_TLS_KEY_FILE"] is None
                else "GATEWAY_TLS_CERT_FILE",
                "is required with the other half of the key pair",
            )
        return cls(
            listen=read(env, "GATEWAY_LISTEN", listen_address, "127.0.0.1:8080"),
            addresses={s: read(env, f"{s.upper()}_ADDRESS", listen_address) for s in SERVICES},
            auth=AuthConfig(
                issuer=read(env, "AUTH_ISSUER", str),
                audience=read(env, "AUTH_AUDIENCE", str, "customs-suite"),
                jwks_file=read(env, "AUTH_JWKS_FILE", existing_file),
                service_token_file=None,
            ),
            call_timeout_seconds=read(env, "CALL_TIMEOUT_SECONDS", positive_float, 5.0),
            log_level=read(env, "LOG_LEVEL", str.upper, "INFO"),
            rate_per_second=read(env, "GATEWAY_RATE_PER_SECOND", positive_float, 50.0),
            burst=read(env, "GATEWAY_BURST", positive_int, 100),
            dossier_timeout_seconds=read(
                env, "GATEWAY_DOSSIER_TIMEOUT_SECONDS", positive_float, 2.0
            ),
            otlp_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or None,
            shutdown_grace_seconds=read(env, "SHUTDOWN_GRACE_SECONDS", positive_float, 10.0),
            tls=TlsConfig.from_env(env),
            https_cert_file=https["GATEWAY_TLS_CERT_FILE"],
            https_key_file=https["GATEWAY_TLS_KEY_FILE"],
        )
