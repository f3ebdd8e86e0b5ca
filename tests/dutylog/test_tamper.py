"""A log document changed or deleted behind the service's back is detected by VerifyChain and,
in the exported bundle, by the offline verifier."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import resources_pb2 as pb
from pymongo import MongoClient

from devstack.suite import Suite
from tests.dutylog.service_helpers import (
    LAN,
    as_,
    create_room,
    open_shift,
    stub,
    verify_offline,
    write,
)
from tests.support.stack import database


def shift_with_entries(suite: Suite, n: int = 5) -> tuple[str, pb.Shift, list[pb.Entry]]:
    room = create_room(suite, f"tamper-{uuid.uuid4().hex[:8]}")
    shift = open_shift(suite, room, "day", LAN)
    return (
        room,
        shift,
        [write(suite, room, "lan", f"Patrol round {i} at Cát Lái") for i in range(n)],
    )


def verify(suite: Suite, room: str) -> api.VerifyChainResponse:
    request = api.VerifyChainRequest(room=room)
    response: api.VerifyChainResponse = stub(suite).VerifyChain(
        request, metadata=as_(suite, "audit", "auditor")
    )
    return response


def export(suite: Suite, shift: pb.Shift) -> api.ExportShiftBundleResponse:
    request = api.ExportShiftBundleRequest(name=shift.name)
    response: api.ExportShiftBundleResponse = stub(suite).ExportShiftBundle(
        request, metadata=as_(suite, "audit", "auditor")
    )
    return response


def test_changed_entry_is_detected_online_and_offline(
    suite: Suite, mongo: MongoClient[dict[str, Any]], tmp_path: Path
) -> None:
    room, shift, entries = shift_with_entries(suite)
    before = export(suite, shift)
    code, out = verify_offline(tmp_path, before.bundle, "--public-key", before.public_key)
    assert code == 0, out
    assert out.startswith("INTACT") and "expected key matches" in out

    victim = entries[1]
    db = mongo[database(suite, "dutylog")]
    changed = db["entries"].update_one(
        {"name": victim.name}, {"$set": {"content.text": "Nothing happened"}}
    )
    assert changed.modified_count == 1

    verdict = verify(suite, room)
    assert not verdict.intact
    assert verdict.first_break.entry == victim.name
    assert verdict.first_break.check == pb.CHAIN_CHECK_CONTENT_CHANGED
    assert verdict.head_seq == victim.seq - 1

    after = export(suite, shift)
    code, out = verify_offline(tmp_path, after.bundle)
    assert code == 1, out
    assert f"first broken entry: {victim.name} (seq {victim.seq}): CONTENT_CHANGED" in out


def test_deleted_entry_is_detected_online_and_offline(
    suite: Suite, mongo: MongoClient[dict[str, Any]], tmp_path: Path
) -> None:
    room, shift, entries = shift_with_entries(suite)
    db = mongo[database(suite, "dutylog")]
    assert db["entries"].delete_one({"name": entries[2].name}).deleted_count == 1

    verdict = verify(suite, room)
    assert not verdict.intact
    assert verdict.first_break.check == pb.CHAIN_CHECK_SEQUENCE_GAP
    assert verdict.first_break.entry == entries[3].name

    code, out = verify_offline(tmp_path, export(suite, shift).bundle)
    assert code == 1, out
    assert f"first broken entry: {entries[3].name} (seq {entries[3].seq}): SEQUENCE_GAP" in out


def test_deleted_last_entry_is_detected_online_and_offline(
    suite: Suite, mongo: MongoClient[dict[str, Any]], tmp_path: Path
) -> None:
    room, shift, entries = shift_with_entries(suite)
    db = mongo[database(suite, "dutylog")]
    assert db["entries"].delete_one({"name": entries[-1].name}).deleted_count == 1

    verdict = verify(suite, room)
    assert not verdict.intact
    assert verdict.first_break.check == pb.CHAIN_CHECK_TRUNCATED
    assert verdict.first_break.entry == entries[-1].name

    code, out = verify_offline(tmp_path, export(suite, shift).bundle)
    assert code == 1, out
    assert "entries missing at the end" in out
