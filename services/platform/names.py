"""Resource identifiers and names (AIP-122): ``collection/{id}`` validation and parsing."""

from __future__ import annotations

import re

from services.platform.errors import InvalidArgument

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
ID_RULE = "1-63 letters, digits, '-', '_' or '.', starting with a letter or digit"


def check_id(field_path: str, value: str) -> str:
    """Returns ``value`` when it is a valid resource id; raises InvalidArgument naming the field."""
    if not _ID.match(value):
        raise InvalidArgument.one(field_path, f"must be {ID_RULE}; got {value!r}")
    return value


def parse_name(field_path: str, name: str, collection: str) -> str:
    """The id in ``{collection}/{id}``; raises InvalidArgument naming the field otherwise."""
    prefix = f"{collection}/"
    if not name.startswith(prefix) or not _ID.match(name[len(prefix) :]):
        raise InvalidArgument.one(field_path, f"must be '{collection}/{{id}}' with id {ID_RULE}")
    return name[len(prefix) :]
