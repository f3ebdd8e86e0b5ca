"""Starts the suite's services as real processes against the stores, and stops them."""

from __future__ import annotations

import base64
import os
import ssl
import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack.certificates import TlsFiles
from devstack.processes import Process, free_port, stop_all, wait_until
from devstack.stores import Stores
from services.platform.tokens import DevIssuer

REPO = Path(__file__).resolve().parent.parent
DOMAIN_SERVICES = ("scanner", "seal", "camera", "dutylog")  # callees before callers


def health_status(
    address: str,
    service: str = "",
    timeout: float = 1.0,
    credentials: grpc.ChannelCredentials | None = None,
) -> int | None:
    """The health status of ``service`` at ``address`` (over TLS with ``credentials``), or
    None when it does not answer."""
    try:
        with (
            grpc.secure_channel(address, credentials)
            if credentials is not None
            else grpc.insecure_channel(address)
        ) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
            return int(reply.status)
    except grpc.RpcError:
        return None


def serving(address: str, credentials: grpc.ChannelCredentials | None = None) -> bool:
    status = health_status(address, credentials=credentials)
    return status == int(health_pb2.HealthCheckResponse.SERVING)


def _http_ok(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1, context=context) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class RunningService:
    name: str
    address: str
    process: Process
    env: dict[str, str]


@dataclass
class Suite:
    """The services of one stack. ``namespace`` keeps databases and buckets of parallel runs
    apart when they share external servers. With ``tls``, every service serves and dials gRPC
    over TLS (mutual TLS when ``mutual_tls``) and the gateway serves HTTPS."""

    root: Path
    stores: Stores
    namespace: str = "customs"
    tls: TlsFiles | None = None
    mutual_tls: bool = False
    issuer: DevIssuer = field(init=False)
    services: dict[str, RunningService] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.issuer = DevIssuer.create(self.root / "issuer")

    def token(self, subject: str, *roles: str, sites: tuple[str, ...] = ()) -> str:
        return self.issuer.mint(subject, roles, sites=sites)

    def service_env(
        self, name: str, listen: str, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        token_file = self.root / "tokens" / f"{name}.jwt"
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(self.issuer.mint(f"service:{name}", ["service"], 30 * 24 * 3600))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "S3_"))},
            **self.stores.env(),
            "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'gen' / 'python'}",
            "GRPC_LISTEN": listen,
            "MONGODB_DATABASE": f"{self.namespace}_{name}",
            "S3_BUCKET": f"{self.namespace}-{name}".replace("_", "-").lower(),
            "AUTH_ISSUER": self.issuer.issuer,
            "AUTH_AUDIENCE": self.issuer.audience,
            "AUTH_JWKS_FILE": str(DevIssuer.jwks_path(self.root / "issuer")),
            "SERVICE_TOKEN_FILE": str(token_file),
            "NUMBA_CACHE_DIR": str(self.root / "numba-cache"),
            "SHUTDOWN_GRACE_SECONDS": "10",
        }
        if name == "dutylog":
            env["DUTYLOG_SIGNING_KEY"] = self._signing_key()
        if self.tls is not None:
            env.update(self.tls.grpc_env(self.mutual_tls))
        for other, running in self.services.items():
            env[f"{other.upper()}_ADDRESS"] = running.address
        env.update(extra or {})
        return env

    def _signing_key(self) -> str:
        """The duty log's Ed25519 checkpoint key (base64 seed), kept in the data folder so
        checkpoints and exports stay verifiable across restarts."""
        path = self.root / "issuer" / "dutylog-signing-key"
        if not path.exists():
            path.write_text(base64.b64encode(os.urandom(32)).decode())
            path.chmod(0o600)
        return path.read_text().strip()

    def start(
        self, name: str, extra: Mapping[str, str] | None = None, timeout: float = 120.0
    ) -> RunningService:
        """Starts ``python -m services.<name>`` and waits until its health is SERVING."""
        previous = self.services.get(name)
        address = previous.address if previous else f"127.0.0.1:{free_port()}"
        env = self.service_env(name, address, extra)
        process = Process(
            name,
            [sys.executable, "-m", f"services.{name}"],
            self.root / "logs" / f"{name}.log",
            env=env,
            cwd=REPO,
        )
        credentials = self.grpc_credentials()
        wait_until(lambda: serving(address, credentials), timeout, f"service {name}", process)
        running = RunningService(name, address, process, env)
        self.services[name] = running
        return running

    def start_gateway(
        self, extra: Mapping[str, str] | None = None, timeout: float = 60.0, name: str = "gateway"
    ) -> RunningService:
        """Starts the HTTP gateway in front of the running services; waits for /healthz. Under
        another ``name`` it is one more gateway beside the first, with a log of its own."""
        port = free_port()
        env = self.service_env("gateway", f"127.0.0.1:{free_port()}", extra)
        env["GATEWAY_LISTEN"] = f"127.0.0.1:{port}"
        context = None
        if self.tls is not None:
            env["GATEWAY_TLS_CERT_FILE"] = str(self.tls.cert)
            env["GATEWAY_TLS_KEY_FILE"] = str(self.tls.key)
            context = ssl.create_default_context(cafile=self.tls.ca)
        process = Process(
            name,
            [sys.executable, "-m", "services.gateway"],
            self.root / "logs" / f"{name}.log",
            env=env,
            cwd=REPO,
        )
        url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        wait_until(lambda: _http_ok(f"{url}/healthz", context), timeout, name, process)
        running = RunningService(name, url, process, env)
        self.services[name] = running
        return running

    def grpc_credentials(self) -> grpc.ChannelCredentials | None:
        """What a client of this suite's gRPC services needs: None in plaintext."""
        if self.tls is None:
            return None
        return grpc.ssl_channel_credentials(
            self.tls.ca.read_bytes(), self.tls.key.read_bytes(), self.tls.cert.read_bytes()
        )

    def stop_service(self, name: str) -> int | None:
        return self.services[name].process.stop()

    def stop(self) -> None:
        stop_all([running.process for running in self.services.values()])
