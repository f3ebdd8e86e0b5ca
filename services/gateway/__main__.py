"""``python -m services.gateway``: runs the HTTP gateway with uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from services.gateway.app import create_app
from services.gateway.config import GatewayConfig
from services.platform import logs, telemetry
from services.platform.config import ConfigError


def main() -> None:
    try:
        config = GatewayConfig.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    logs.setup("gateway", config.log_level)
    tel = telemetry.setup("gateway", config.otlp_endpoint)
    host, _, port = config.listen.rpartition(":")
    uvicorn.run(
        create_app(config, tel),
        host=host,
        port=int(port),
        log_config=None,
        timeout_graceful_shutdown=10,
    )


main()
