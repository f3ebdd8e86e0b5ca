"""Configuration of the duty log service, read once from the environment at start.

- DUTYLOG_DEFAULT_ROOM (rooms/national): room that records alerts whose site no room
  supervises; created at start when missing.
- DUTYLOG_SIGNING_KEY (unset: an ephemeral key, with a warning): Ed25519 key signing checkpoints
  and bundles, base64 of the 32-byte seed or PKCS#8 PEM.
- DUTYLOG_TRUSTED_PUBLIC_KEYS (none): more Ed25519 public keys VerifyChain accepts on
  checkpoints (those of keys rotated out), base64 of the raw 32 bytes, separated by commas or
  whitespace. The signing key's own public key is always trusted; no other key is.
- DUTYLOG_CHECKPOINT_EVERY (100): a signed checkpoint every N entries of a room (and at each
  handover); VerifyChain reports a missing one as a break, so do not lower it on a deployment
  that has data.
- DUTYLOG_HANDOVER_ACK_SECONDS (1800): default time the incoming shift has to acknowledge.
- DUTYLOG_SWEEP_SECONDS (15): period of the overdue-directive / unacknowledged-handover sweeper.
- DUTYLOG_CAPTURE_BACKOFF_MAX_SECONDS (30): longest wait between reconnections to a source.
- SCANNER_ADDRESS, CAMERA_ADDRESS, SEAL_ADDRESS (unset): alert sources; an unset one is not
  consumed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.dutylog.domain.checkpoints import load_private_key, load_public_key, public_key_b64
from services.dutylog.domain.entries import check_room
from services.dutylog.domain.errors import DomainValidationError
from services.platform.config import ConfigError, positive_float, positive_int, read

log = logging.getLogger("customs.dutylog")
SOURCES = ("scanner", "camera", "seal")


def _room_name(raw: str) -> str:
    prefix = "rooms/"
    if not raw.startswith(prefix):
        raise ValueError("must be rooms/{room_id}")
    check_room(raw[len(prefix) :], "DUTYLOG_DEFAULT_ROOM")
    return raw


def _signing_key(env: Mapping[str, str]) -> tuple[Ed25519PrivateKey, bool]:
    """The configured key, or an ephemeral one (True) with a warning."""
    raw = env.get("DUTYLOG_SIGNING_KEY", "").strip()
    if not raw:
        log.warning(
            "DUTYLOG_SIGNING_KEY is unset: signing checkpoints and bundles with an ephemeral key "
            "that is lost at restart; set it in every real deployment"
        )
        return Ed25519PrivateKey.generate(), True
    if raw.startswith("-----BEGIN") and "\\n" in raw:
        raw = raw.replace("\\n", "\n")
    try:
        return load_private_key(raw, "DUTYLOG_SIGNING_KEY"), False
    except DomainValidationError as exc:
        raise ConfigError("DUTYLOG_SIGNING_KEY", exc.description) from exc


def _trusted_keys(env: Mapping[str, str], own: Ed25519PrivateKey) -> tuple[Ed25519PublicKey, ...]:
    """The signing key's public key first, then the configured ones (each once)."""
    keys = {public_key_b64(own): own.public_key()}
    raw = env.get("DUTYLOG_TRUSTED_PUBLIC_KEYS", "").replace(",", " ").split()
    for index, item in enumerate(raw):
        try:
            key = load_public_key(item, "DUTYLOG_TRUSTED_PUBLIC_KEYS")
        except DomainValidationError as exc:
            raise ConfigError(
                "DUTYLOG_TRUSTED_PUBLIC_KEYS", f"key {index + 1}: {exc.description}"
            ) from exc
        keys.setdefault(public_key_b64(key), key)
    return tuple(keys.values())


@dataclass(frozen=True, slots=True)
class DutyLogSettings:
    default_room: str
    signing_key: Ed25519PrivateKey
    ephemeral_key: bool
    trusted_keys: tuple[Ed25519PublicKey, ...]
    checkpoint_every: int
    handover_ack_seconds: float
    sweep_seconds: float
    backoff_max_seconds: float
    sources: Mapping[str, str]

    @property
    def default_room_id(self) -> str:
        return self.default_room.removeprefix("rooms/")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DutyLogSettings:
        key, ephemeral = _signing_key(env)
        sources = {s: env.get(f"{s.upper()}_ADDRESS", "").strip() for s in SOURCES}
        return cls(
            default_room=read(env, "DUTYLOG_DEFAULT_ROOM", _room_name, "rooms/national"),
            signing_key=key,
            ephemeral_key=ephemeral,
            trusted_keys=_trusted_keys(env, key),
            checkpoint_every=read(env, "DUTYLOG_CHECKPOINT_EVERY", positive_int, 100),
            handover_ack_seconds=read(env, "DUTYLOG_HANDOVER_ACK_SECONDS", positive_float, 1800.0),
            sweep_seconds=read(env, "DUTYLOG_SWEEP_SECONDS", positive_float, 15.0),
            backoff_max_seconds=read(
                env, "DUTYLOG_CAPTURE_BACKOFF_MAX_SECONDS", positive_float, 30.0
            ),
            sources={s: a for s, a in sources.items() if a},
        )
