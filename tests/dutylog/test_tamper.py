"""A log document changed or deleted behind the service's back is detected by VerifyChain and,
in the exported bundle, by the offline verifier; so is a rewrite with every hash recomputed, up
to the last checkpoint signed with a trusted key."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import resources_pb2 as pb
from pymongo import MongoClient
from pymongo.database import Database

from devstack.suite import Suite
from services.dutylog.chain_store import checkpoint_doc, entry_doc, entry_from_doc
from services.dutylog.domain.chain import seal_all
from services.dutylog.domain.checkpoints import (
    CheckpointReason,
    create_checkpoint,
    public_key_b64,
)
from tests.dutylog.service_helpers import (
    LAN,
    MINH,
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


# An attacker with write access to the database, who knows the published hash algorithm: they
# rewrite an entry, recompute every hash after it and move the room's head, so that the chain
# alone is intact again. Only checkpoints signed with a trusted key can tell.


def handed_over_shift(suite: Suite) -> tuple[str, pb.Shift, pb.Shift]:
    """A closed shift (its handover is checkpointed) and an open one after it, with entries."""
    room, shift, _ = shift_with_entries(suite)
    closed = stub(suite).HandOverShift(
        api.HandOverShiftRequest(name=shift.name, handover_id="day-to-night"),
        metadata=as_(suite, "lan"),
    )
    night = open_shift(suite, room, "night", MINH)
    for i in range(3):
        write(suite, room, "minh", f"Night patrol {i} at Mộc Bài")
    return room, closed.shift, night


def rewrite_from(db: Database[dict[str, Any]], room: str, seq: int, text: str) -> None:
    """Changes entry ``seq``'s text, reseals every entry from it on, and moves the head."""
    room_id = room.removeprefix("rooms/")
    docs = list(db["entries"].find({"room": room_id}).sort("seq", 1))
    entries = [entry_from_doc(d) for d in docs]
    drafts = [e.draft for e in entries[seq - 1 :]]
    drafts[0] = dataclasses.replace(drafts[0], text=text)
    head = entries[seq - 2]
    resealed = seal_all(drafts, head=head)
    for entry in resealed:
        forged = {**entry_doc(entry), "record_time": docs[entry.seq - 1]["record_time"]}
        db["entries"].replace_one({"name": entry.name}, forged)
    db["room_heads"].update_one(
        {"_id": room_id},
        {"$set": {"seq": resealed[-1].seq, "head_sha256": resealed[-1].entry_sha256}},
    )


def test_recomputed_hashes_with_deleted_checkpoints_are_detected_online_and_offline(
    suite: Suite, mongo: MongoClient[dict[str, Any]], tmp_path: Path
) -> None:
    room, day, _ = handed_over_shift(suite)
    db = mongo[database(suite, "dutylog")]
    before = verify(suite, room)
    assert before.intact and before.signed_seq == day.last_seq  # the handover's checkpoint
    rewrite_from(db, room, 3, "Nothing to report")
    db["checkpoints"].delete_many({"room": room.removeprefix("rooms/")})

    verdict = verify(suite, room)
    assert not verdict.intact and verdict.signed_seq == 0
    assert verdict.first_break.check == pb.CHAIN_CHECK_CHECKPOINT_MISSING
    assert verdict.first_break.entry == f"{room}/entries/{day.last_seq}"
    assert verdict.checkpoint_problems == [
        f"checkpoint {room}/checkpoints/{day.last_seq}: missing (one is due at the handover)"
    ]
    code, out = verify_offline(
        tmp_path, export(suite, day).bundle, "--public-key", verdict.public_key
    )
    assert code == 1, out
    assert "1 missing" in out and "expected key matches" in out


def test_checkpoints_re_signed_with_another_key_are_detected_online_and_offline(
    suite: Suite, mongo: MongoClient[dict[str, Any]], tmp_path: Path
) -> None:
    room, day, _ = handed_over_shift(suite)
    db = mongo[database(suite, "dutylog")]
    rewrite_from(db, room, 3, "Nothing to report")
    attacker = Ed25519PrivateKey.generate()
    for doc in db["checkpoints"].find({"room": room.removeprefix("rooms/")}):
        entry = entry_from_doc(db["entries"].find_one({"name": f"{room}/entries/{doc['seq']}"}))
        forged = create_checkpoint(entry, doc["time"], CheckpointReason(doc["reason"]), attacker)
        db["checkpoints"].replace_one(
            {"_id": doc["_id"]}, checkpoint_doc(forged, public_key_b64(attacker))
        )

    verdict = verify(suite, room)
    assert not verdict.intact and verdict.signed_seq == 0
    assert verdict.first_break.check == pb.CHAIN_CHECK_CHECKPOINT_INVALID
    assert verdict.first_break.seq == day.last_seq
    assert "not signed by a trusted key" in verdict.checkpoint_problems[0]
    code, out = verify_offline(
        tmp_path, export(suite, day).bundle, "--public-key", verdict.public_key
    )
    assert code == 1, out
    assert "checkpoints: 0/1 valid" in out and "not signed by a trusted key" in out


def test_entries_after_the_last_checkpoint_are_only_as_good_as_the_database(
    suite: Suite, mongo: MongoClient[dict[str, Any]]
) -> None:
    """The documented limit: a rewrite after the last checkpoint passes, and VerifyChain says
    how far its proof goes."""
    room, day, _ = handed_over_shift(suite)
    db = mongo[database(suite, "dutylog")]
    rewrite_from(db, room, day.last_seq + 2, "Nothing to report")
    verdict = verify(suite, room)
    assert verdict.intact
    assert verdict.signed_seq == day.last_seq < verdict.head_seq
