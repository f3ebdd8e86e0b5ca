"""Reading request fields: resource names, a person's new entry, the filter and order of an
entry listing, and domain errors renamed to request paths."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from customs.dutylog.v1 import resources_pb2 as pb

from services.dutylog import convert
from services.dutylog.domain.entries import EntryKind
from services.dutylog.domain.errors import DomainValidationError
from services.dutylog.log_ops import NewEntry, Upload
from services.platform import iso6346
from services.platform.enums import enum_name
from services.platform.errors import FieldViolation, InvalidArgument, collect
from services.platform.names import ID_RULE, parse_name

_PEOPLE_KINDS = {EntryKind.OBSERVATION, EntryKind.ACTION, EntryKind.RESULT, EntryKind.CORRECTION}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def room_id(field: str, name: str) -> str:
    """The id in ``rooms/{room_id}``."""
    return parse_name(field, name, "rooms")


def child(field: str, name: str, collection: str) -> tuple[str, str]:
    """(room id, child id) of ``rooms/{room_id}/{collection}/{id}``."""
    parts = name.split("/")
    if (
        len(parts) != 4
        or parts[0] != "rooms"
        or parts[2] != collection
        or not _ID.match(parts[1])
        or not _ID.match(parts[3])
    ):
        raise InvalidArgument.one(
            field, f"must be 'rooms/{{room_id}}/{collection}/{{id}}' with ids {ID_RULE}"
        )
    return parts[1], parts[3]


def entry_seq(field: str, name: str, room: str | None = None) -> tuple[str, int]:
    """(room id, seq) of ``rooms/{room_id}/entries/{seq}`` (in ``room`` when given)."""
    parts = name.split("/")
    ok = (
        len(parts) == 4
        and parts[0] == "rooms"
        and parts[2] == "entries"
        and _ID.match(parts[1]) is not None
        and parts[3].isdigit()
        and int(parts[3]) >= 1
    )
    if not ok:
        raise InvalidArgument.one(field, "must be 'rooms/{room_id}/entries/{seq}', seq from 1")
    if room is not None and parts[1] != room:
        raise InvalidArgument.one(field, f"must be an entry of rooms/{room}")
    return parts[1], int(parts[3])


def seq_after(after: str | None) -> int:
    """The seq a seq-ordered listing resumes after (from a page token this service issued)."""
    if after is None:
        return 0
    if not after.isdigit():
        raise InvalidArgument.one("page_token", "is not a token this service issued")
    return int(after)


@dataclass(frozen=True, slots=True)
class EntryListing:
    """What a ListEntries request selects: the MongoDB filter (without paging), the order, and
    the fingerprint a page token is bound to."""

    query: dict[str, Any]
    newest_first: bool
    fingerprint: str

    def after(self, seq: int | None) -> dict[str, Any]:
        """The filter of the page after ``seq`` (None: the first page)."""
        if seq is None:
            return self.query
        return {**self.query, "seq": {"$lt" if self.newest_first else "$gt": seq}}


def entry_listing(room: str, kind: int, container: str, order_by: str) -> EntryListing:
    """ListEntries' filter: kind, container number (ISO 6346, normalised) and AIP-132 order
    ("seq" or empty: oldest first; "seq desc": newest first)."""
    query: dict[str, Any] = {"room": room}
    if kind:
        query["kind"] = enum_name(pb.EntryKind, kind, "kind", "ENTRY_KIND_")
    if container:
        try:
            number = iso6346.validate(container).text
        except iso6346.InvalidContainerNumber as exc:
            raise InvalidArgument.one("container_number.value", exc.description) from exc
        query["content.references.container_numbers"] = number
    words = order_by.split()
    if words not in ([], ["seq"], ["seq", "desc"]):
        raise InvalidArgument.one(
            "order_by", "must be 'seq' (oldest first) or 'seq desc' (newest first)"
        )
    newest_first = words == ["seq", "desc"]
    fingerprint = f"entries|{sorted(query.items())}|{'desc' if newest_first else 'asc'}"
    return EntryListing(query, newest_first, fingerprint)


@contextmanager
def renamed(fields: Mapping[str, str]) -> Iterator[None]:
    """Re-raises a DomainValidationError with its field renamed to the request's path."""
    try:
        yield
    except DomainValidationError as exc:
        head, sep, rest = exc.field.partition(".")
        path = fields.get(exc.field) or (fields[head] + sep + rest if head in fields else exc.field)
        raise DomainValidationError(path, exc.description) from None


def new_entry(room: str, entry: pb.Entry) -> NewEntry:
    """A person's entry from the request, every invalid field reported at once."""
    problems = []
    kind = None
    if entry.kind == pb.ENTRY_KIND_UNSPECIFIED:
        problems.append(FieldViolation("entry.kind", "is required"))
    else:
        kind = EntryKind(enum_name(pb.EntryKind, entry.kind, "entry.kind", "ENTRY_KIND_"))
        if kind not in _PEOPLE_KINDS:
            problems.append(
                FieldViolation(
                    "entry.kind",
                    "must be OBSERVATION, ACTION, RESULT or CORRECTION; alerts, directives and "
                    "handover notes are written by their own methods",
                )
            )
    if not entry.text.strip():
        problems.append(FieldViolation("entry.text", "is required"))
    corrects = None
    if entry.corrects:
        try:
            corrects = entry_seq("entry.corrects", entry.corrects, room)[1]
        except InvalidArgument as exc:
            problems.extend(exc.violations)
    if kind is EntryKind.CORRECTION and not entry.corrects:
        problems.append(FieldViolation("entry.corrects", "a CORRECTION must name the entry"))
    if kind is not EntryKind.CORRECTION and entry.corrects:
        problems.append(FieldViolation("entry.corrects", "only a CORRECTION corrects an entry"))
    for i, a in enumerate(entry.attachments):
        if "/" not in a.content_type or not a.data:
            problems.append(
                FieldViolation(f"entry.attachments[{i}]", "needs content_type and data")
            )
    try:
        references = convert.references_from_proto(entry.references, "entry.references")
    except InvalidArgument as exc:
        problems.extend(exc.violations)
    collect(problems)
    assert kind is not None
    uploads = [Upload(a.content_type, a.data) for a in entry.attachments]
    return NewEntry(kind, entry.text, references, corrects, uploads)
