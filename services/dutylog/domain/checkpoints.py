"""Signing keys and signed chain checkpoints.

A checkpoint states "entry ``seq`` of ``room`` has hash ``head_sha256`` at ``time``" and is
signed with the service's Ed25519 key. It is taken every N entries (``checkpoint_due``) and at
each handover.

Signed statement: canonical JSON (see ``canonical``) of
``{"format": "dutylog.checkpoint.v1", "head_sha256": hex64, "reason": str, "room": str,
"seq": int, "time": time}``; the signature is the 64-byte Ed25519 signature over those bytes,
written in standard base64 with padding.

Keys. Configuration gives the private key (DUTYLOG_SIGNING_KEY) as EITHER a PKCS#8 PEM block
(``-----BEGIN PRIVATE KEY-----``, unencrypted) OR the standard base64 of the raw 32-byte Ed25519
seed; ``load_private_key`` accepts both and tells them apart by the PEM header. Public keys are
given the same way (SubjectPublicKeyInfo PEM ``-----BEGIN PUBLIC KEY-----`` or base64 of the
raw 32 bytes); bundles embed the raw base64 form.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.dutylog.domain.canonical import (
    canonical_json,
    check_seq,
    check_sha256,
    format_time,
    parse_time,
)
from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.entries import check_room, check_utc
from services.dutylog.domain.errors import DomainValidationError

CHECKPOINT_FORMAT = "dutylog.checkpoint.v1"
_PEM_MARK = b"-----BEGIN"


def _material(value: str | bytes) -> bytes:
    return value.encode("ascii", errors="replace") if isinstance(value, str) else value


def _raw32(material: bytes, field_name: str) -> bytes:
    try:
        raw = base64.b64decode(material.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DomainValidationError(field_name, "neither PEM nor valid base64") from None
    if len(raw) != 32:
        raise DomainValidationError(field_name, f"raw key must be 32 bytes, got {len(raw)}")
    return raw


def load_private_key(value: str | bytes, field_name: str = "signing_key") -> Ed25519PrivateKey:
    """Ed25519 private key from PKCS#8 PEM or base64 of the raw 32-byte seed."""
    material = _material(value)
    if material.lstrip().startswith(_PEM_MARK):
        try:
            key = serialization.load_pem_private_key(material, password=None)
        except (ValueError, TypeError):
            raise DomainValidationError(field_name, "unreadable PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise DomainValidationError(field_name, "PEM key is not an Ed25519 key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw32(material, field_name))


def load_public_key(value: str | bytes, field_name: str = "public_key") -> Ed25519PublicKey:
    """Ed25519 public key from SubjectPublicKeyInfo PEM or base64 of the raw 32 bytes."""
    material = _material(value)
    if material.lstrip().startswith(_PEM_MARK):
        try:
            key = serialization.load_pem_public_key(material)
        except (ValueError, TypeError):
            raise DomainValidationError(field_name, "unreadable PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise DomainValidationError(field_name, "PEM key is not an Ed25519 key")
        return key
    try:
        return Ed25519PublicKey.from_public_bytes(_raw32(material, field_name))
    except ValueError as exc:
        if isinstance(exc, DomainValidationError):
            raise
        raise DomainValidationError(field_name, "not an Ed25519 public key") from None


def public_key_b64(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Standard base64 of the raw 32-byte public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """Ed25519 signature of ``data``, standard base64."""
    return base64.b64encode(key.sign(data)).decode("ascii")


def signature_valid(public_key: Ed25519PublicKey, data: bytes, signature_b64: str) -> bool:
    """True when ``signature_b64`` is a valid signature of ``data`` by ``public_key``."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, data)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


class CheckpointReason(enum.Enum):
    """Why a checkpoint was taken."""

    INTERVAL = "INTERVAL"
    HANDOVER = "HANDOVER"
    EXPORT = "EXPORT"


def checkpoint_due(seq: int, interval: int) -> bool:
    """True when entry ``seq`` closes a block of ``interval`` entries."""
    if interval < 1:
        raise DomainValidationError("checkpoint_interval", "must be at least 1")
    return seq % interval == 0


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement of a room's head hash."""

    room: str
    seq: int
    head_sha256: str
    time: datetime
    reason: CheckpointReason
    signature: str

    def statement(self) -> bytes:
        """The signed bytes."""
        return checkpoint_statement(self.room, self.seq, self.head_sha256, self.time, self.reason)


def checkpoint_statement(
    room: str, seq: int, head_sha256: str, time: datetime, reason: CheckpointReason
) -> bytes:
    """Canonical bytes of the checkpoint statement."""
    return canonical_json(
        {
            "format": CHECKPOINT_FORMAT,
            "head_sha256": head_sha256,
            "reason": reason.value,
            "room": room,
            "seq": seq,
            "time": format_time(time),
        }
    )


def create_checkpoint(
    head: SealedEntry, time: datetime, reason: CheckpointReason, key: Ed25519PrivateKey
) -> Checkpoint:
    """Sign the head entry of a room."""
    time = check_utc(time, "time")
    statement = checkpoint_statement(head.room, head.seq, head.entry_sha256, time, reason)
    return Checkpoint(head.room, head.seq, head.entry_sha256, time, reason, sign(key, statement))


def checkpoint_problem(
    checkpoint: Checkpoint, trusted: Sequence[Ed25519PublicKey], entry: SealedEntry | None
) -> str | None:
    """None when one of the ``trusted`` keys signed the checkpoint and ``entry`` (the entry at
    its seq) matches; otherwise what is wrong. ``entry`` None means the entry is not available.
    The keys are the verifier's own, never one stored beside the checkpoint."""
    where = f"checkpoint rooms/{checkpoint.room}/checkpoints/{checkpoint.seq}"
    statement = checkpoint.statement()
    if not any(signature_valid(key, statement, checkpoint.signature) for key in trusted):
        return f"{where}: signature invalid (not signed by a trusted key)"
    if entry is None:
        return f"{where}: entry {checkpoint.seq} is missing"
    if entry.room != checkpoint.room or entry.seq != checkpoint.seq:
        return f"{where}: compared with the wrong entry {entry.name}"
    if entry.entry_sha256 != checkpoint.head_sha256:
        return f"{where}: entry {entry.name} hash differs from the signed head hash"
    return None


def checkpoint_to_json(checkpoint: Checkpoint) -> dict[str, Any]:
    """JSON object of a checkpoint (the statement fields plus ``signature``)."""
    return {
        "head_sha256": checkpoint.head_sha256,
        "reason": checkpoint.reason.value,
        "room": checkpoint.room,
        "seq": checkpoint.seq,
        "signature": checkpoint.signature,
        "time": format_time(checkpoint.time),
    }


def checkpoint_from_json(obj: object) -> Checkpoint:
    """Strictly parse ``checkpoint_to_json`` output."""
    keys = {"head_sha256", "reason", "room", "seq", "signature", "time"}
    if not isinstance(obj, dict) or set(obj) != keys:
        raise DomainValidationError("checkpoint", f"must be an object with keys {sorted(keys)}")
    check_room(obj["room"], "checkpoint.room")
    try:
        reason = CheckpointReason(obj["reason"])
    except ValueError:
        raise DomainValidationError("checkpoint.reason", "unknown reason") from None
    if not isinstance(obj["signature"], str):
        raise DomainValidationError("checkpoint.signature", "must be a string")
    return Checkpoint(
        room=obj["room"],
        seq=check_seq(obj["seq"], "checkpoint.seq"),
        head_sha256=check_sha256(obj["head_sha256"], "checkpoint.head_sha256"),
        time=parse_time(obj["time"], "checkpoint.time"),
        reason=reason,
        signature=obj["signature"],
    )
