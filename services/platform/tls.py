"""TLS for gRPC: server credentials (optionally requiring client certificates: mutual TLS) and
the channel credentials of outgoing calls, from :class:`~services.platform.config.TlsConfig`.

Outgoing channels (:mod:`services.platform.clients`) use the process's TLS settings, installed
once at start with :func:`use`; a process that installs none dials in plaintext.
"""

from __future__ import annotations

import grpc

from services.platform.config import TlsConfig

_outgoing: TlsConfig | None = None


def server_credentials(tls: TlsConfig) -> grpc.ServerCredentials:
    """The server's certificate; with ``require_client_cert``, clients must present one signed
    by the configured CA."""
    assert tls.cert_file is not None and tls.key_file is not None
    pair = (tls.key_file.read_bytes(), tls.cert_file.read_bytes())
    if tls.require_client_cert:
        assert tls.ca_file is not None
        return grpc.ssl_server_credentials(
            [pair], root_certificates=tls.ca_file.read_bytes(), require_client_auth=True
        )
    return grpc.ssl_server_credentials([pair])


def channel_credentials(tls: TlsConfig) -> grpc.ChannelCredentials:
    """Trusts the configured CA and presents this process's certificate when it has one."""
    assert tls.ca_file is not None
    return grpc.ssl_channel_credentials(
        root_certificates=tls.ca_file.read_bytes(),
        private_key=tls.key_file.read_bytes() if tls.key_file else None,
        certificate_chain=tls.cert_file.read_bytes() if tls.cert_file else None,
    )


def use(tls: TlsConfig) -> None:
    """Installs the TLS settings outgoing channels of this process use (once, at start)."""
    global _outgoing
    _outgoing = tls


def outgoing() -> grpc.ChannelCredentials | None:
    """Credentials for an outgoing channel: None (plaintext) unless a CA is configured."""
    if _outgoing is None or _outgoing.ca_file is None:
        return None
    return channel_credentials(_outgoing)
