"""ListAttachments filters over gRPC: destination, open_only, their combination with the others,
page tokens bound to the filters, and bad filter values."""

from __future__ import annotations

from typing import Any

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.suite import Suite
from tests.seal import transit as t
from tests.support.stack import auth, raises_status


def _names(stub: seal_pb2_grpc.SealServiceStub, suite: Suite, **filters: Any) -> list[str]:
    """Every attachment the filters select, page by page (2 a page)."""
    officer = auth(suite.token("officer-1", "officer"))
    names: list[str] = []
    token = ""
    while True:
        page = stub.ListAttachments(
            seal_pb2.ListAttachmentsRequest(page_size=2, page_token=token, **filters),
            metadata=officer,
        )
        names += [a.name for a in page.attachments]
        token = page.next_page_token
        if not token:
            return names


def test_destination_and_open_only_filters(
    stub: seal_pb2_grpc.SealServiceStub, suite: Suite, places: t.Places
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    other = t.create_places(stub, suite)  # a second origin, destination and route
    here = t.start(stub, suite, places)
    armed = t.start(stub, suite, other)
    attached = t.attach(stub, suite, other)
    closed = t.attach(stub, suite, other)  # closed: faulty, then back in stock
    stub.ReportSealFault(
        seal_pb2.ReportSealFaultRequest(name=closed.seal, reason="display dead"),
        metadata=officer,
    )
    stub.ReturnSealToStock(seal_pb2.ReturnSealToStockRequest(name=closed.seal), metadata=officer)
    to_other = sorted(x.attachment for x in (armed, attached, closed))

    assert _names(stub, suite, destination=other.destination) == to_other
    assert _names(stub, suite, destination=places.destination) == [here.attachment]
    assert _names(stub, suite, destination=other.destination, open_only=True) == sorted(
        [armed.attachment, attached.attachment]
    )
    assert _names(
        stub,
        suite,
        destination=other.destination,
        open_only=True,
        state=seal_pb2.SEAL_STATE_ATTACHED,
    ) == [attached.attachment]
    assert _names(stub, suite, origin=other.origin, open_only=False) == to_other
    everything_open = _names(stub, suite, open_only=True)
    assert {here.attachment, armed.attachment, attached.attachment} <= set(everything_open)
    assert closed.attachment not in everything_open
    assert closed.attachment in _names(stub, suite)


def test_page_tokens_are_bound_to_their_filters_and_bad_filters_name_the_field(
    stub: seal_pb2_grpc.SealServiceStub, suite: Suite, places: t.Places
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    for _ in range(2):
        t.attach(stub, suite, places)
    first = stub.ListAttachments(
        seal_pb2.ListAttachmentsRequest(page_size=1, destination=places.destination),
        metadata=officer,
    )
    assert first.next_page_token
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.ListAttachments(
            seal_pb2.ListAttachmentsRequest(
                page_size=1,
                page_token=first.next_page_token,
                destination=places.destination,
                open_only=True,
            ),
            metadata=officer,
        )
    assert error["violations"] == ["page_token"]
    for field, value in (("destination", "routes/x"), ("origin", "sites/")):
        with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
            stub.ListAttachments(
                seal_pb2.ListAttachmentsRequest(**{field: value}),
                metadata=officer,
            )
        assert error["violations"] == [field]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.ListAttachments(seal_pb2.ListAttachmentsRequest(state=99), metadata=officer)
    assert error["violations"] == ["state"]
