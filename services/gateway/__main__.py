"""``python -m services.gateway``: runs the HTTP gateway with uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from services.gateway.app import create_app
from services.gateway.config import GatewayConfig
from services.platform import logs, telemetry, tls
from services.platform.config import ConfigError


def main() -> None:
    try:
        config = GatewayConfig.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    logs.setup("gateway", config.log_level)
    tel = telemetry.setup("gateway", config.otlp_endpoint)
    tls.use(config.tls)  # calls to the services: TLS when GRPC_TLS_CA_FILE is set
    host, _, port = config.listen.rpartition(":")
    uvicorn.run(
        create_app(config, tel),
        host=host,
        port=int(port),
        log_config=None,
        ssl_certfile=config.https_cert_file,
        ssl_keyfile=config.https_key_file,
        # SIGTERM: stop accepting, let requests in flight finish (open alert streams are ended)
        timeout_graceful_shutdown=round(config.shutdown_grace_seconds),
    )


main()
