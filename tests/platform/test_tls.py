"""gRPC over TLS and mutual TLS, and the gateway over HTTPS, with certificates generated for the
test: plaintext and uncertified clients are refused, certified ones served, and the services
call each other (the duty log capturing the seal service's alerts; the gateway calling the seal
service) over mutual TLS."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from customs.dutylog.v1 import dutylog_pb2 as api
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from grpc_health.v1 import health_pb2

from devstack.certificates import issue_loopback
from devstack.processes import free_port
from devstack.stores import Stores
from devstack.suite import Suite, health_status
from services.platform.config import ConfigError, TlsConfig
from tests.dutylog.service_helpers import stub as dutylog_stub
from tests.support.stack import auth, channel, wait_for

ROOM = "rooms/tls"


@pytest.fixture(scope="module")
def mutual(tmp_path_factory: pytest.TempPathFactory, stores: Stores) -> Iterator[Suite]:
    """Seal service, duty log and gateway, all requiring client certificates."""
    root = tmp_path_factory.mktemp("tls")
    suite = Suite(
        root,
        stores,
        namespace=f"tls{uuid.uuid4().hex[:6]}",
        tls=issue_loopback(root / "pki"),
        mutual_tls=True,
    )
    try:
        seal = suite.start("seal")
        suite.start("dutylog", {"DUTYLOG_DEFAULT_ROOM": ROOM})
        # the gateway needs every address; only the seal service is called through it here
        suite.start_gateway({f"{n.upper()}_ADDRESS": seal.address for n in ("scanner", "camera")})
        yield suite
    finally:
        suite.stop()


def list_seals(address: str, credentials: grpc.ChannelCredentials | None, token: str) -> None:
    with (
        grpc.secure_channel(address, credentials) if credentials else grpc.insecure_channel(address)
    ) as ch:
        seal_pb2_grpc.SealServiceStub(ch).ListSeals(
            seal_pb2.ListSealsRequest(), metadata=auth(token), timeout=5
        )


def test_a_certified_client_is_served(mutual: Suite) -> None:
    list_seals(
        mutual.services["seal"].address, mutual.grpc_credentials(), mutual.token("o", "officer")
    )


@pytest.mark.parametrize("client", ["plaintext", "tls without certificate", "another CA"])
def test_clients_without_a_trusted_certificate_are_refused(
    mutual: Suite, tmp_path: Path, client: str
) -> None:
    assert mutual.tls is not None
    ca = mutual.tls.ca.read_bytes()
    if client == "plaintext":
        credentials = None
    elif client == "tls without certificate":
        credentials = grpc.ssl_channel_credentials(ca)
    else:
        stranger = issue_loopback(tmp_path / "other-pki", "stranger")
        credentials = grpc.ssl_channel_credentials(
            ca, stranger.key.read_bytes(), stranger.cert.read_bytes()
        )
    with pytest.raises(grpc.RpcError) as refused:
        list_seals(mutual.services["seal"].address, credentials, mutual.token("o", "officer"))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_services_call_each_other_over_mutual_tls(mutual: Suite) -> None:
    """A seal registered at 5% battery raises SEAL_BATTERY_LOW; the duty log, which reaches
    the seal service only over mutual TLS, records it as an alarm."""
    seal_id = f"TLS-{uuid.uuid4().hex[:6]}"
    seal_pb2_grpc.SealServiceStub(channel(mutual, "seal")).CreateSeal(
        seal_pb2.CreateSealRequest(
            seal_id=seal_id,
            seal=seal_pb2.Seal(manufacturer="Acme", serial_number=seal_id, battery_percent=5),
        ),
        metadata=auth(mutual.token("svc", "service")),
    )
    log = dutylog_stub(mutual)
    officer = auth(mutual.token("lan", "officer"))

    def recorded() -> bool:
        alarms = log.ListAlarms(
            api.ListAlarmsRequest(parent=ROOM, page_size=1000), metadata=officer
        ).alarms
        return any(a.subject == f"seals/{seal_id}" for a in alarms)

    wait_for(recorded, "the seal alert captured over mutual TLS")


def test_gateway_serves_https_and_calls_the_services_over_mutual_tls(mutual: Suite) -> None:
    assert mutual.tls is not None
    url = mutual.services["gateway"].address
    assert url.startswith("https://")
    token = mutual.token("o", "officer")
    reply = httpx.get(
        f"{url}/v1/seals",
        headers={"Authorization": f"Bearer {token}"},
        verify=ssl.create_default_context(cafile=mutual.tls.ca),
    )
    assert reply.status_code == 200, reply.text
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.replace("https://", "http://") + "/healthz", timeout=5)


def test_server_tls_alone_serves_clients_without_certificates(
    tmp_path: Path, stores: Stores
) -> None:
    suite = Suite(tmp_path, stores, namespace=f"tlsx{uuid.uuid4().hex[:6]}")
    files = issue_loopback(tmp_path / "pki")
    suite.tls = files
    probes = f"127.0.0.1:{free_port()}"
    try:
        seal = suite.start("seal", {"GRPC_HEALTH_LISTEN": probes})
        only_ca = grpc.ssl_channel_credentials(files.ca.read_bytes())
        list_seals(seal.address, only_ca, suite.token("o", "officer"))
        with pytest.raises(grpc.RpcError):
            list_seals(seal.address, None, suite.token("o", "officer"))  # still no plaintext
        # kubelet's gRPC probes speak no TLS: health alone answers in plaintext on its own port
        assert health_status(probes) == int(health_pb2.HealthCheckResponse.SERVING)
        with pytest.raises(grpc.RpcError) as only_health:
            list_seals(probes, None, suite.token("o", "officer"))
        assert only_health.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        suite.stop()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"GRPC_TLS_CERT_FILE": "{cert}"}, "GRPC_TLS_KEY_FILE"),
        ({"GRPC_TLS_KEY_FILE": "{key}"}, "GRPC_TLS_CERT_FILE"),
        ({"GRPC_TLS_CERT_FILE": "/nope.pem", "GRPC_TLS_KEY_FILE": "{key}"}, "GRPC_TLS_CERT_FILE"),
        ({"GRPC_TLS_CLIENT_AUTH": "require"}, "GRPC_TLS_CA_FILE"),
        ({"GRPC_TLS_CLIENT_AUTH": "maybe"}, "GRPC_TLS_CLIENT_AUTH"),
    ],
)
def test_tls_configuration_is_checked_at_start(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    files = issue_loopback(tmp_path)
    filled = {k: v.format(cert=files.cert, key=files.key) for k, v in env.items()}
    with pytest.raises(ConfigError) as info:
        TlsConfig.from_env(filled)
    assert info.value.variable == variable
