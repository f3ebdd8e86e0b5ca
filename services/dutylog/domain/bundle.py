"""Signed export bundle of a shift's log, and its offline verification.

A bundle is one JSON object (format ``dutylog.bundle.v1``)::

    {"format": "dutylog.bundle.v1", "room": str, "shift_id": str, "exported_at": time,
     "anchor_prev_sha256": hex64,   # prev_sha256 of the first entry (64 zeros for seq 1)
     "first_seq": int, "last_seq": int, "head_sha256": hex64,
     "entries": [entry, ...],       # chain.entry_to_json: content object + the three hashes
     "checkpoints": [checkpoint, ...],   # checkpoints.checkpoint_to_json
     "public_key": base64 of the raw 32-byte Ed25519 public key,
     "signature": base64 Ed25519 signature}

``signature`` signs the canonical JSON (see ``canonical``) of the whole object without the
``signature`` key; checkpoints are verified with the same ``public_key``. The file itself may
be indented: verification re-encodes the parsed object. Duplicate JSON keys are refused.

Verification recomputes every content hash and the chain from ``anchor_prev_sha256``, checks
the header's ``last_seq``/``head_sha256`` against the chain (a deleted last entry shows there),
checks each checkpoint's signature and head hash, the bundle signature, and, when the agency's
expected public key is given, that the embedded key is that key. The anchor itself is only as
good as the signature: an auditor links it to the previous shift's bundle head.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

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
    checkpoint_problem,
    checkpoint_to_json,
    load_public_key,
    public_key_b64,
    sign,
    signature_valid,
)
from services.dutylog.domain.entries import check_name, check_room
from services.dutylog.domain.errors import DomainValidationError

BUNDLE_FORMAT = "dutylog.bundle.v1"
BUNDLE_KEYS = frozenset(
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
    as_stored: StoredSlice | None = None,
) -> dict[str, Any]:
    """The signed bundle object of a shift's entries (a contiguous, intact slice of the chain).

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
    entries: tuple[SealedEntry, ...]
    checkpoints: tuple[Checkpoint, ...]
    public_key: str
    signature: str
    signed_bytes: bytes


def parse_bundle(obj: dict[str, Any]) -> ParsedBundle:
    """Strictly parse a bundle object; structural problems raise DomainValidationError."""
    keys = set(obj)
    if keys != BUNDLE_KEYS:
        missing, extra = sorted(BUNDLE_KEYS - keys), sorted(keys - BUNDLE_KEYS)
        raise DomainValidationError("bundle", f"missing keys {missing}, unexpected keys {extra}")
    if obj["format"] != BUNDLE_FORMAT:
        raise DomainValidationError("format", f"expected {BUNDLE_FORMAT!r}")
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
    checkpoint_problems: tuple[str, ...]
    signature_ok: bool
    key_matches: bool | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(
    obj: dict[str, Any], expected_public_key: Ed25519PublicKey | None = None
) -> BundleReport:
    """Verify a bundle object offline (see the module docstring for the checks)."""
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
    by_seq = {e.seq: e for e in bundle.entries}
    cp_problems = []
    for cp in bundle.checkpoints:
        problem = (
            f"checkpoint {cp.seq} is for room {cp.room}"
            if cp.room != bundle.room
            else checkpoint_problem(cp, public_key, by_seq.get(cp.seq))
        )
        if problem is not None:
            cp_problems.append(problem)
    problems.extend(cp_problems)
    signature_ok = signature_valid(public_key, bundle.signed_bytes, bundle.signature)
    if not signature_ok:
        problems.append("bundle signature invalid (the bundle was changed after signing)")
    key_matches: bool | None = None
    if expected_public_key is not None:
        key_matches = public_key_b64(expected_public_key) == public_key_b64(public_key)
        if not key_matches:
            problems.append(
                f"bundle signed by key {bundle.public_key}, not the expected key "
                f"{public_key_b64(expected_public_key)}"
            )
    return BundleReport(
        bundle, chain, tuple(cp_problems), signature_ok, key_matches, tuple(problems)
    )
