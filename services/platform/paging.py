"""AIP-158 paging: page sizes and opaque page tokens for name-ordered listings.

A token is a serialized ``customs.common.v1.PageCursor``, base64url without padding: where the
listing resumes and a fingerprint of the filters it was issued for."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from customs.common.v1 import paging_pb2
from google.protobuf.message import DecodeError

from services.platform.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Page:
    """Where a listing resumes (after ``after``, exclusive) and how many to return."""

    size: int
    after: str | None


def _fingerprint(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:16]


def page_request(page_size: int, page_token: str, query: str = "") -> Page:
    """Validates a request's paging fields. ``query`` describes the filters: a token is only
    valid with the filters it was issued for."""
    if page_size < 0:
        raise InvalidArgument.one("page_size", "must not be negative")
    size = DEFAULT_PAGE_SIZE if page_size == 0 else min(page_size, MAX_PAGE_SIZE)
    if not page_token:
        return Page(size, None)
    try:
        padded = page_token + "=" * (-len(page_token) % 4)
        cursor = paging_pb2.PageCursor.FromString(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, DecodeError) as exc:
        raise InvalidArgument.one("page_token", "is not a token this service issued") from exc
    if not cursor.filter_fingerprint:
        raise InvalidArgument.one("page_token", "is not a token this service issued")
    if cursor.filter_fingerprint != _fingerprint(query):
        raise InvalidArgument.one("page_token", "was issued for a listing with other filters")
    return Page(size, cursor.after)


def next_token(last_name: str, query: str = "") -> str:
    """The token that resumes a listing after ``last_name``."""
    cursor = paging_pb2.PageCursor(after=last_name, filter_fingerprint=_fingerprint(query))
    return base64.urlsafe_b64encode(cursor.SerializeToString()).decode().rstrip("=")
