"""Canonical byte encoding of entry content, and the chain hashes.

This docstring is the specification an offline verifier follows.

Canonical JSON (used for entry content, checkpoint statements and export bundles)
    UTF-8 bytes of the JSON text produced with: object keys sorted (all keys are ASCII, so code
    point order equals byte order), separators ``,`` and ``:`` with no whitespace anywhere, strings
    written as-is in UTF-8 (no Unicode normalisation) except that ``"`` and ``\\`` are escaped as
    ``\\"`` and ``\\\\``, U+0008/0009/000A/000C/000D as ``\\b \\t \\n \\f \\r`` and every other
    character below U+0020 as ``\\u00xx`` (lowercase hex); integers in plain decimal; no floats
    (times and other quantities are strings); ``null``, ``true``, ``false`` as usual. This equals
    RFC 8785 (JCS) for these documents. In Python:
    ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False).encode("utf-8")``.

Times
    RFC 3339 in UTC with exactly six fractional digits and a ``Z``:
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (e.g. ``2026-11-23T18:05:00.000000Z``).

Entry content object (format ``dutylog.entry.v1``), exactly these keys::

    {"attachments": [{"content_type": str, "object_key": str, "sha256": hex64}, ...],  # as given
     "attributes": {str: str, ...},
     "author": {"department": str, "display_name": str, "subject": str},
     "corrects_seq": int | null,
     "format": "dutylog.entry.v1",
     "kind": str,                                   # EntryKind name
     "references": {"alert_ids": [str], "container_numbers": [str], "directive_ids": [str],
                    "passage_names": [str], "scan_names": [str], "seal_names": [str]},
     "room": str, "seq": int, "text": str, "time": time}

List order is kept as stored (never sorted). ``content_sha256`` = lowercase hex
SHA-256(canonical JSON of the content object).

Chain
    Sequence numbers start at 1 in each room and grow by one. ``prev_sha256`` of entry 1 is
    ``GENESIS_SHA256`` (64 zeros); of entry n > 1 it is ``entry_sha256`` of entry n - 1.
    ``entry_sha256`` = lowercase hex SHA-256 of the 72 bytes
    ``bytes.fromhex(prev_sha256) || bytes.fromhex(content_sha256) || seq as 8-byte unsigned
    big-endian``.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from services.dutylog.domain.entries import (
    REFERENCE_GROUPS,
    SHA256_RE,
    Attachment,
    EntryDraft,
    Officer,
    References,
    check_utc,
    parse_department,
    parse_kind,
)
from services.dutylog.domain.errors import DomainValidationError

ENTRY_FORMAT = "dutylog.entry.v1"
GENESIS_SHA256 = "0" * 64
MAX_SEQ = 2**53 - 1
TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def canonical_json(value: object) -> bytes:
    """Canonical JSON bytes of ``value`` (see the module docstring). Floats are refused."""
    _refuse_floats(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _refuse_floats(value: object) -> None:
    if isinstance(value, float):
        raise DomainValidationError("canonical_json", "floats are not allowed")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def format_time(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` of an aware datetime, in UTC."""
    t = check_utc(value, "time")
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        f".{t.microsecond:06d}Z"
    )


def parse_time(value: object, field_name: str) -> datetime:
    """Parse the exact canonical time format; anything else raises DomainValidationError."""
    if not isinstance(value, str) or not TIME_RE.fullmatch(value):
        raise DomainValidationError(field_name, "must be YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise DomainValidationError(field_name, "not a valid date and time") from None


def check_seq(seq: object, field_name: str = "seq") -> int:
    """A sequence number: an int in 1 .. 2**53 - 1."""
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise DomainValidationError(field_name, "must be an integer in 1 .. 2**53 - 1")
    return seq


def check_sha256(value: object, field_name: str) -> str:
    """64 lowercase hex digits."""
    if not isinstance(value, str) or not SHA256_RE.fullmatch(value):
        raise DomainValidationError(field_name, "must be 64 lowercase hexadecimal digits")
    return value


def content_object(draft: EntryDraft, seq: int) -> dict[str, Any]:
    """The entry content object of ``draft`` at sequence number ``seq``."""
    refs = draft.references
    return {
        "attachments": [
            {"content_type": a.content_type, "object_key": a.object_key, "sha256": a.sha256}
            for a in draft.attachments
        ],
        "attributes": dict(draft.attributes),
        "author": {
            "department": draft.author.department.value,
            "display_name": draft.author.display_name,
            "subject": draft.author.subject,
        },
        "corrects_seq": draft.corrects_seq,
        "format": ENTRY_FORMAT,
        "kind": draft.kind.value,
        "references": {group: list(getattr(refs, group)) for group in REFERENCE_GROUPS},
        "room": draft.room,
        "seq": seq,
        "text": draft.text,
        "time": format_time(draft.time),
    }


def canonical_content(draft: EntryDraft, seq: int) -> bytes:
    """Canonical bytes of the entry content."""
    return canonical_json(content_object(draft, seq))


def content_sha256(draft: EntryDraft, seq: int) -> str:
    """SHA-256 (hex) of the canonical content."""
    return sha256_hex(canonical_content(draft, seq))


def entry_sha256(prev_sha256: str, content_hash: str, seq: int) -> str:
    """Chain hash: SHA-256(prev || content || seq as 8-byte big-endian), hex."""
    check_sha256(prev_sha256, "prev_sha256")
    check_sha256(content_hash, "content_sha256")
    check_seq(seq)
    data = bytes.fromhex(prev_sha256) + bytes.fromhex(content_hash) + seq.to_bytes(8, "big")
    return sha256_hex(data)


def _keys(obj: object, expected: set[str], field_name: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise DomainValidationError(field_name, "must be a JSON object")
    keys = set(obj)
    if keys != expected:
        missing = sorted(expected - keys)
        extra = sorted(keys - expected)
        raise DomainValidationError(field_name, f"missing keys {missing}, unexpected keys {extra}")
    return obj


def _str_list(value: object, field_name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DomainValidationError(field_name, "must be a list of strings")
    return tuple(value)


CONTENT_KEYS = {
    "attachments",
    "attributes",
    "author",
    "corrects_seq",
    "format",
    "kind",
    "references",
    "room",
    "seq",
    "text",
    "time",
}


def draft_from_content_object(obj: object) -> tuple[EntryDraft, int]:
    """Strictly parse an entry content object back into (draft, seq).

    For any valid draft, ``content_object(*draft_from_content_object(content_object(d, s)))``
    gives back the same object, so re-encoding reproduces the canonical bytes.
    """
    data = _keys(obj, CONTENT_KEYS, "entry")
    if data["format"] != ENTRY_FORMAT:
        raise DomainValidationError("format", f"expected {ENTRY_FORMAT!r}")
    seq = check_seq(data["seq"])
    author_obj = _keys(data["author"], {"department", "display_name", "subject"}, "author")
    if not isinstance(author_obj["department"], str):
        raise DomainValidationError("author.department", "must be a string")
    author = Officer(
        subject=author_obj["subject"],
        display_name=author_obj["display_name"],
        department=parse_department(author_obj["department"], "author.department"),
    )
    refs_obj = _keys(data["references"], set(REFERENCE_GROUPS), "references")
    references = References(
        **{g: _str_list(refs_obj[g], f"references.{g}") for g in REFERENCE_GROUPS}
    )
    if not isinstance(data["attachments"], list):
        raise DomainValidationError("attachments", "must be a list")
    attachments = []
    for index, item in enumerate(data["attachments"]):
        a = _keys(item, {"content_type", "object_key", "sha256"}, f"attachments[{index}]")
        attachments.append(Attachment(a["object_key"], a["sha256"], a["content_type"]))
    attributes = data["attributes"]
    if not isinstance(attributes, dict):
        raise DomainValidationError("attributes", "must be a JSON object")
    corrects = data["corrects_seq"]
    if corrects is not None:
        check_seq(corrects, "corrects_seq")
    if not isinstance(data["kind"], str):
        raise DomainValidationError("kind", "must be a string")
    draft = EntryDraft(
        room=data["room"],
        kind=parse_kind(data["kind"]),
        author=author,
        time=parse_time(data["time"], "time"),
        text=data["text"],
        references=references,
        attachments=tuple(attachments),
        corrects_seq=corrects,
        attributes=tuple(attributes.items()),
    )
    return draft, seq
