"""ListEntries over real gRPC: by container, newest first, AIP-158 paging across both."""

from __future__ import annotations

import uuid

import grpc
from customs.common.v1 import container_pb2
from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import resources_pb2 as pb

from devstack.suite import Suite
from services.platform import iso6346
from tests.dutylog.service_helpers import LAN, as_, create_room, open_shift, stub, write
from tests.support.stack import raises_status


def container(serial: int) -> str:
    return iso6346.make("TGH", "U", f"{serial:06d}").text


def listing(suite: Suite, room: str, **fields: object) -> list[api.ListEntriesResponse]:
    """Every page of a listing, following next_page_token."""
    pages = []
    token = ""
    while True:
        request = api.ListEntriesRequest(parent=room, page_token=token, **fields)  # type: ignore[arg-type]
        page = stub(suite).ListEntries(request, metadata=as_(suite, "aud", "auditor"))
        pages.append(page)
        token = page.next_page_token
        if not token:
            return pages


def test_entries_about_a_container_newest_first_in_pages(suite: Suite) -> None:
    room = create_room(suite, f"listing-{uuid.uuid4().hex[:8]}")
    open_shift(suite, room, "day", LAN)
    wanted, other = container(100001), container(100002)
    about: list[int] = []
    for i in range(7):
        number = wanted if i % 2 == 0 else other
        entry = write(
            suite,
            room,
            "lan",
            f"Check {i} of {number}",
            references=pb.References(container_numbers=[number]),
        )
        if number == wanted:
            about.append(entry.seq)
    both = write(
        suite,
        room,
        "lan",
        "Both containers on one truck",
        kind=pb.ENTRY_KIND_ACTION,
        references=pb.References(container_numbers=[other, wanted]),
    )
    about.append(both.seq)
    by_container = container_pb2.ContainerNumber(value=wanted)

    oldest_first = listing(suite, room, container_number=by_container, page_size=2)
    assert [e.seq for p in oldest_first for e in p.entries] == about
    assert [len(p.entries) for p in oldest_first] == [2, 2, 1]
    newest = listing(suite, room, container_number=by_container, order_by="seq desc", page_size=2)
    assert [e.seq for p in newest for e in p.entries] == about[::-1]
    assert [len(p.entries) for p in newest] == [2, 2, 1]
    # normalised input, combined with a kind
    loose = container_pb2.ContainerNumber(value=f"{wanted[:4].lower()} {wanted[4:10]}-{wanted[10]}")
    actions = listing(suite, room, container_number=loose, kind=pb.ENTRY_KIND_ACTION)
    assert [e.seq for p in actions for e in p.entries] == [both.seq]
    # the whole room, newest first: the shift-opening entry comes last
    whole = listing(suite, room, order_by="seq desc", page_size=1000)
    assert [e.seq for e in whole[0].entries] == list(range(both.seq, 0, -1))
    assert [e.seq for e in listing(suite, room, order_by="seq", page_size=3)[1].entries] == [
        4,
        5,
        6,
    ]


def test_listing_filters_are_checked_and_bound_to_their_tokens(suite: Suite) -> None:
    room = create_room(suite, f"listing-{uuid.uuid4().hex[:8]}")
    open_shift(suite, room, "day", LAN)
    for i in range(3):
        write(suite, room, "lan", f"Entry {i}")
    s = stub(suite)
    auditor = as_(suite, "aud", "auditor")
    bad = container_pb2.ContainerNumber(value="CSQU3054384")  # wrong check digit
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        s.ListEntries(api.ListEntriesRequest(parent=room, container_number=bad), metadata=auditor)
    assert error["violations"] == ["container_number.value"]
    for order in ("time desc", "seq up", "seq desc desc"):
        with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
            s.ListEntries(api.ListEntriesRequest(parent=room, order_by=order), metadata=auditor)
        assert error["violations"] == ["order_by"]
    first = s.ListEntries(
        api.ListEntriesRequest(parent=room, page_size=1, order_by="seq desc"), metadata=auditor
    )
    assert [e.seq for e in first.entries] == [4]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        s.ListEntries(
            api.ListEntriesRequest(parent=room, page_size=1, page_token=first.next_page_token),
            metadata=auditor,
        )
    assert error["violations"] == ["page_token"]
