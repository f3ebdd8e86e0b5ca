"""AIP-158 paging rules and the page token's form (a base64url customs.common.v1.PageCursor)."""

from __future__ import annotations

import base64

import pytest
from customs.common.v1 import paging_pb2

from services.platform.errors import InvalidArgument
from services.platform.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, next_token, page_request


def test_sizes_default_coerce_and_refuse_negative() -> None:
    assert page_request(0, "").size == DEFAULT_PAGE_SIZE
    assert page_request(7, "").size == 7
    assert page_request(MAX_PAGE_SIZE * 10, "").size == MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument) as error:
        page_request(-1, "")
    assert [v.field for v in error.value.violations] == ["page_size"]


def test_a_token_resumes_after_the_last_item_of_the_same_listing() -> None:
    token = next_token("seals/SL-0042", "state=IN_TRANSIT")
    assert "=" not in token
    page = page_request(10, token, "state=IN_TRANSIT")
    assert page.after == "seals/SL-0042"
    padded = token + "=" * (-len(token) % 4)
    cursor = paging_pb2.PageCursor.FromString(base64.urlsafe_b64decode(padded))
    assert cursor.after == "seals/SL-0042" and cursor.filter_fingerprint


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not base64 at all!", "is not a token this service issued"),
        (base64.urlsafe_b64encode(b"\xff\xff\xff").decode(), "is not a token this service issued"),
        (next_token("seals/SL-1", "state=ARRIVED"), "was issued for a listing with other filters"),
        (
            base64.urlsafe_b64encode(paging_pb2.PageCursor(after="x").SerializeToString())
            .decode()
            .rstrip("="),
            "is not a token this service issued",
        ),
    ],
)
def test_foreign_or_mismatched_tokens_name_page_token(token: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        page_request(10, token, "state=IN_TRANSIT")
    assert [(v.field, v.description) for v in error.value.violations] == [("page_token", reason)]
