"""Signed export bundle of a shift's log, and its offline verification.

A bundle is one JSON object (format ``dutylog.bundle.v2``)::

    {"format": "dutylog.bundle.v2", "room": str, "shift_id": str, "exported_at": time,
     "anchor_prev_sha256": hex64,   # prev_sha256 of the first entry (64 zeros for seq 1)
     "first_seq": int, "last_seq": int, "head_sha256": hex64,
     "checkpoint_every": int,       # the service's DUTYLOG_CHECKPOINT_EVERY
     "entries": [entry, ...],       # chain.entry_to_json: content object + the three hashes
     "checkpoints": [checkpoint, ...],   # checkpoints.checkpoint_to_json, every stored one
     "public_key": base64 of the raw 32-byte Ed25519 public key,
     "signature": base64 Ed25519 signature}

``signature`` signs the canonical JSON (see ``canonical``) of the whole object without the
``signature`` key. The file itself may be indented: verification re-encodes the parsed object.
Duplicate JSON keys are refused. Format ``dutylog.bundle.v1`` (the same without
``checkpoint_every``) is still read; its checkpoints are then only expected at handovers.

Verification recomputes every content hash and the chain from ``anchor_prev_sha256``, checks
the header's ``last_seq``/``head_sha256`` against the chain (a deleted last entry shows there),
checks the checkpoints (see ``audit``: signed by a trusted key over the entry, and one wherever
one is due in the slice) and the bundle signature. The trusted keys are the agency's expected
public keys when given (then the bundle must be signed by one of them too), else only the
embedded key, which proves consistency, not origin. The anchor itself is only as good as the
signature: an auditor links it to the previous shift's bundle head.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.dutylog.domain.audit import CheckpointAudit, audit_checkpoints
from services.dutylog.domain.canonical import (
    canonical_json,
    check_seq,
    check_sha256,
    format_time,
    parse_time,
)
from services.dutylog.domain.chain import (
    ChainReport,
    SealedEntry,
    entry_from_json,
    entry_to_json,
    verify_chain,
)
from services.dutylog.domain.checkpoints import (
    Checkpoint,
    checkpoint_from_json,
    checkpoint_to_json,
    load_public_key,
    public_key_b64,
    sign,
    signature_valid,
)
from services.dutylog.domain.entries import check_name, check_room
from services.dutylog.domain.errors import DomainValidationError

BUNDLE_FORMAT = "dutylog.bundle.v2"
BUNDLE_FORMAT_V1 = "dutylog.bundle.v1"
BUNDLE_KEYS_V1 = frozenset(
    {
        "format",
        "room",
        "shift_id",
        "exported_at",
        "anchor_prev_sha256",
        "first_seq",
        "last_seq",
        "head_sha256",
        "entries",
        "checkpoints",
        "public_key",
        "signature",
    }
)
BUNDLE_KEYS = BUNDLE_KEYS_V1 | {"checkpoint_every"}


@dataclass(frozen=True, slots=True)
class StoredSlice:
    """Where a shift's slice sits in its room's chain, as storage recorded it: the hash before
    its first entry, its first and last seq, and the hash of its last entry."""

    anchor_prev_sha256: str
    first_seq: int
    last_seq: int
    head_sha256: str


def build_bundle(
    room: str,
    shift_id: str,
    entries: Sequence[SealedEntry],
    checkpoints: Sequence[Checkpoint],
    key: Ed25519PrivateKey,
    exported_at: datetime,
    *,
    checkpoint_every: int,
    as_stored: StoredSlice | None = None,
) -> dict[str, Any]:
    """The signed bundle object of a shift's entries (a contiguous, intact slice of the chain),
    stating the service's checkpoint interval ``checkpoint_every``.

    ``as_stored`` exports a slice exactly as storage holds it, broken or not (the service's
    export: the verifier then reports the break): the header takes the anchor, first seq and
    declared head from it instead of from ``entries``, and the chain is not checked here.
    """
    check_room(room)
    check_name(shift_id, "shift_id")
    if not entries:
        raise DomainValidationError("entries", "a bundle needs at least one entry")
    first = entries[0]
    if as_stored is None:
        report = verify_chain(entries, anchor_prev_sha256=first.prev_sha256, first_seq=first.seq)
        if not report.ok or first.room != room:
            raise DomainValidationError("entries", "refusing to export a broken or foreign chain")
        as_stored = StoredSlice(
            first.prev_sha256, first.seq, entries[-1].seq, entries[-1].entry_sha256
        )
    for cp in checkpoints:
        if cp.room != room or not as_stored.first_seq <= cp.seq <= as_stored.last_seq:
            raise DomainValidationError("checkpoints", f"checkpoint {cp.seq} is not in the slice")
    unsigned: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "room": room,
        "shift_id": shift_id,
        "exported_at": format_time(exported_at),
        "anchor_prev_sha256": check_sha256(as_stored.anchor_prev_sha256, "anchor_prev_sha256"),
        "first_seq": check_seq(as_stored.first_seq, "first_seq"),
        "last_seq": check_seq(as_stored.last_seq, "last_seq"),
        "head_sha256": check_sha256(as_stored.head_sha256, "head_sha256"),
        "checkpoint_every": check_seq(checkpoint_every, "checkpoint_every"),
        "entries": [entry_to_json(e) for e in entries],
        "checkpoints": [checkpoint_to_json(c) for c in checkpoints],
        "public_key": public_key_b64(key),
    }
    return {**unsigned, "signature": sign(key, canonical_json(unsigned))}


def dump_bundle(bundle: dict[str, Any]) -> bytes:
    """Readable (indented) UTF-8 JSON of a bundle, for files."""
    return (json.dumps(bundle, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DomainValidationError(key, "duplicate JSON key")
        out[key] = value
    return out


def load_bundle_json(data: bytes) -> dict[str, Any]:
    """Parse bundle file bytes (UTF-8 JSON, no duplicate keys, no floats)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainValidationError("bundle", "not UTF-8") from None

    def no_float(value: str) -> Any:
        raise DomainValidationError("bundle", f"floating-point number {value} not allowed")

    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_float=no_float)
    except json.JSONDecodeError as exc:
        raise DomainValidationError("bundle", f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise DomainValidationError("bundle", "must be a JSON object")
    return obj


@dataclass(frozen=True, slots=True)
class ParsedBundle:
    """A structurally valid bundle (nothing verified yet)."""

    room: str
    shift_id: str
    exported_at: datetime
    anchor_prev_sha256: str
    first_seq: int
    last_seq: int
    head_sha256: str
    checkpoint_every: int | None  # None in a v1 bundle
    entries: tuple[SealedEntry, ...]
    checkpoints: tuple[Checkpoint, ...]
    public_key: str
    signature: str
    signed_bytes: bytes


def parse_bundle(obj: dict[str, Any]) -> ParsedBundle:
    """Strictly parse a bundle object; structural problems raise DomainValidationError."""
    formats = {BUNDLE_FORMAT: BUNDLE_KEYS, BUNDLE_FORMAT_V1: BUNDLE_KEYS_V1}
    if obj.get("format") not in formats:
        raise DomainValidationError("format", f"expected {BUNDLE_FORMAT!r}")
    expected, keys = formats[obj["format"]], set(obj)
    if keys != expected:
        missing, extra = sorted(expected - keys), sorted(keys - expected)
        raise DomainValidationError("bundle", f"missing keys {missing}, unexpected keys {extra}")
    check_room(obj["room"])
    check_name(obj["shift_id"], "shift_id")
    for name in ("entries", "checkpoints"):
        if not isinstance(obj[name], list):
            raise DomainValidationError(name, "must be a list")
    entries = []
    for index, item in enumerate(obj["entries"]):
        try:
            entries.append(entry_from_json(item))
        except DomainValidationError as exc:
            raise DomainValidationError(f"entries[{index}].{exc.field}", exc.description) from None
    checkpoints = []
    for index, item in enumerate(obj["checkpoints"]):
        try:
            checkpoints.append(checkpoint_from_json(item))
        except DomainValidationError as exc:
            raise DomainValidationError(f"checkpoints[{index}]", exc.description) from None
    for name in ("public_key", "signature"):
        if not isinstance(obj[name], str):
            raise DomainValidationError(name, "must be a base64 string")
    load_public_key(obj["public_key"], "public_key")
    unsigned = {k: v for k, v in obj.items() if k != "signature"}
    return ParsedBundle(
        room=obj["room"],
        shift_id=obj["shift_id"],
        exported_at=parse_time(obj["exported_at"], "exported_at"),
        anchor_prev_sha256=check_sha256(obj["anchor_prev_sha256"], "anchor_prev_sha256"),
        first_seq=check_seq(obj["first_seq"], "first_seq"),
        last_seq=check_seq(obj["last_seq"], "last_seq"),
        head_sha256=check_sha256(obj["head_sha256"], "head_sha256"),
        checkpoint_every=(
            check_seq(obj["checkpoint_every"], "checkpoint_every")
            if "checkpoint_every" in obj
            else None
        ),
        entries=tuple(entries),
        checkpoints=tuple(checkpoints),
        public_key=obj["public_key"],
        signature=obj["signature"],
        signed_bytes=canonical_json(unsigned),
    )


@dataclass(frozen=True, slots=True)
class BundleReport:
    """Outcome of ``verify_bundle``; ``problems`` lists every failed check, chain first."""

    bundle: ParsedBundle
    chain: ChainReport
    checkpoints: CheckpointAudit
    signature_ok: bool
    key_matches: bool | None
    problems: tuple[str, ...]

    @property
    def checkpoint_problems(self) -> tuple[str, ...]:
        return tuple(f.description for f in self.checkpoints.findings)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(
    obj: dict[str, Any], expected_public_keys: Sequence[Ed25519PublicKey] = ()
) -> BundleReport:
    """Verify a bundle object offline (see the module docstring for the checks).
    ``expected_public_keys``: the agency's keys; the bundle and its checkpoints must be signed
    by one of them. Without them only the bundle's consistency with its embedded key is shown."""
    bundle = parse_bundle(obj)
    problems: list[str] = []
    chain = verify_chain(
        bundle.entries,
        anchor_prev_sha256=bundle.anchor_prev_sha256,
        first_seq=bundle.first_seq,
    )
    if chain.first_break is not None:
        problems.append(f"chain broken at {chain.first_break.message}")
    elif bundle.entries and bundle.entries[0].room != bundle.room:
        problems.append(f"entries belong to room {bundle.entries[0].room}, not {bundle.room}")
    elif (chain.head_seq, chain.head_sha256) != (bundle.last_seq, bundle.head_sha256):
        problems.append(
            f"chain ends at seq {chain.head_seq} ({chain.head_sha256}) but the bundle declares "
            f"seq {bundle.last_seq} ({bundle.head_sha256}): entries missing at the end"
        )
    public_key = load_public_key(bundle.public_key)
    foreign = [cp for cp in bundle.checkpoints if cp.room != bundle.room]
    problems.extend(f"checkpoint {cp.seq} is for room {cp.room}" for cp in foreign)
    audit = audit_checkpoints(
        bundle.room,
        bundle.entries,
        [cp for cp in bundle.checkpoints if cp.room == bundle.room],
        list(expected_public_keys) or [public_key],
        interval=bundle.checkpoint_every,
        first_seq=bundle.first_seq,
        last_seq=bundle.last_seq,
        broken_at=chain.first_break.seq if chain.first_break else None,
    )
    problems.extend(f.description for f in audit.findings)
    signature_ok = signature_valid(public_key, bundle.signed_bytes, bundle.signature)
    if not signature_ok:
        problems.append("bundle signature invalid (the bundle was changed after signing)")
    key_matches: bool | None = None
    if expected_public_keys:
        expected = {public_key_b64(k) for k in expected_public_keys}
        key_matches = public_key_b64(public_key) in expected
        if not key_matches:
            problems.append(
                f"bundle signed by key {bundle.public_key}, not the expected key "
                f"{', '.join(sorted(expected))}"
            )
    return BundleReport(bundle, chain, audit, signature_ok, key_matches, tuple(problems))
