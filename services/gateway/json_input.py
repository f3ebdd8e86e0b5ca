"""What HTTP clients send, into protobuf messages: JSON bodies in the proto's JSON form and
RFC 3339 query times. Input that does not fit is 400 naming the member at fault by its path in
the JSON the client sent (``location.latitude``, ``pings[3].seq``) or by the query parameter."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar, cast

from fastapi import Query
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from services.gateway.problems import invalid

M = TypeVar("M", bound=Message)
_PREFIX = re.compile(r"^(Failed to parse \w+ field: )+")
_WHERE = re.compile(r"\s+at \"?[\w.\[\]]+\"?\.*$")
TimeQuery = Annotated[
    str,
    Query(
        description="RFC 3339 with an offset, e.g. 2026-05-01T08:00:00Z",
        json_schema_extra={"format": "date-time"},
    ),
]


def parse_body(body: Any, message: M, within: str = "") -> M:
    """Fills ``message`` from a JSON object in the proto's JSON form; 400 naming the member that
    does not fit, under ``within`` when the object is one part of the input."""
    if not isinstance(body, dict):
        raise invalid(within or "body", "must be a JSON object")
    try:
        ParseDict(body, message)
    except ParseError as exc:
        descriptor = cast(Descriptor, message.DESCRIPTOR)  # the stubs also allow upb's type
        path, description = json_fault(body, descriptor) or ("", _reason(exc))
        raise invalid(".".join(p for p in (within, path) if p) or "body", description) from exc
    return message


def json_fault(value: dict[str, Any], descriptor: Descriptor) -> tuple[str, str] | None:
    """The JSON path (spelled as in ``value``) of the first member that does not parse into
    ``descriptor``'s message, and why; None when each member parses on its own."""
    fields = {**{f.json_name: f for f in descriptor.fields}, **descriptor.fields_by_name}
    for key, item in value.items():
        found = fields.get(key)
        if found is None:
            return key, f"is not a field of {descriptor.name}"
        try:
            ParseDict({key: item}, _empty(descriptor))
        except ParseError as exc:
            return _member_fault(key, item, found, descriptor, exc)
    return None


def _member_fault(
    key: str, item: Any, found: FieldDescriptor, parent: Descriptor, exc: ParseError
) -> tuple[str, str]:
    """Where inside one member that does not parse (an element, a nested field) it fails."""
    nested = found.message_type
    is_map = nested is not None and nested.GetOptions().map_entry
    # messages of google.protobuf (Timestamp, Duration, Struct...) have JSON forms of their own
    walkable = nested if nested is not None and not is_map else None
    if walkable is not None and walkable.full_name.startswith("google.protobuf."):
        walkable = None
    if found.is_repeated and not is_map and isinstance(item, list):
        for i, element in enumerate(item):
            try:
                ParseDict({key: [element]}, _empty(parent))
            except ParseError as inner:
                deeper = (
                    json_fault(element, walkable)
                    if walkable is not None and isinstance(element, dict)
                    else None
                )
                if deeper is not None:
                    return f"{key}[{i}].{deeper[0]}", deeper[1]
                return f"{key}[{i}]", _reason(inner)
    if walkable is not None and isinstance(item, dict):
        deeper = json_fault(item, walkable)
        if deeper is not None:
            return f"{key}.{deeper[0]}", deeper[1]
    return key, _reason(exc)


def _empty(descriptor: Descriptor) -> Message:
    message: Message = message_factory.GetMessageClass(descriptor)()
    return message


def _reason(exc: ParseError) -> str:
    """ParseError's own words without its trail of fields (the path says where)."""
    text = _PREFIX.sub("", str(exc).split("\n", 1)[0]).strip()
    return _WHERE.sub("", text).rstrip(".") or "cannot be parsed"


def timestamp_query(value: str, name: str) -> Timestamp | None:
    """An RFC 3339 time given as the query parameter ``name``; None when empty, 400 naming the
    parameter when it is not one."""
    if not value:
        return None
    stamp = Timestamp()
    try:
        stamp.FromJsonString(value)
    except ValueError as exc:
        raise invalid(
            name, "must be an RFC 3339 time with an offset, e.g. 2026-05-01T08:00:00Z"
        ) from exc
    return stamp
