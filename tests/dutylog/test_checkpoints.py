from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.dutylog.domain.audit import (
    CheckpointAudit,
    CheckpointCheck,
    audit_checkpoints,
    due_seqs,
)
from services.dutylog.domain.chain import SealedEntry, seal_all
from services.dutylog.domain.checkpoints import (
    Checkpoint,
    CheckpointReason,
    checkpoint_due,
    checkpoint_from_json,
    checkpoint_problem,
    checkpoint_to_json,
    create_checkpoint,
    load_private_key,
    load_public_key,
    public_key_b64,
)
from services.dutylog.domain.entries import EntryKind
from services.dutylog.domain.errors import DomainValidationError
from tests.dutylog.helpers import ROOM, at, draft, sample_log

SEED = bytes(range(32))
KEY = Ed25519PrivateKey.from_private_bytes(SEED)


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_private_key_from_seed_and_pem_are_the_same_key() -> None:
    from_seed = load_private_key(base64.b64encode(SEED).decode())
    from_pem = load_private_key(_pem(from_seed))
    assert public_key_b64(from_seed) == public_key_b64(from_pem)
    assert public_key_b64(load_private_key(_pem(from_seed).decode())) == public_key_b64(from_seed)


def test_public_key_from_raw_base64_and_pem() -> None:
    key = load_private_key(base64.b64encode(SEED))
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_key_b64(load_public_key(pem)) == public_key_b64(key)
    assert public_key_b64(load_public_key(public_key_b64(key))) == public_key_b64(key)


@pytest.mark.parametrize(
    "material",
    [
        "not base64!",
        base64.b64encode(b"short").decode(),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_bad_key_material_names_the_field(material: str) -> None:
    with pytest.raises(DomainValidationError) as info:
        load_private_key(material)
    assert info.value.field == "signing_key"


def test_checkpoint_signs_and_verifies_the_head() -> None:
    log = sample_log(5)
    key = load_private_key(base64.b64encode(SEED))
    cp = create_checkpoint(log[3], at(10), CheckpointReason.INTERVAL, key)
    assert (cp.room, cp.seq, cp.head_sha256) == (log[3].room, 4, log[3].entry_sha256)
    assert checkpoint_problem(cp, [key.public_key()], log[3]) is None
    assert checkpoint_from_json(checkpoint_to_json(cp)) == cp


def test_checkpoint_problems_are_reported() -> None:
    log = sample_log(5)
    key = load_private_key(base64.b64encode(SEED))
    cp = create_checkpoint(log[3], at(10), CheckpointReason.HANDOVER, key)
    other = Ed25519PrivateKey.generate()
    assert "signature invalid" in (checkpoint_problem(cp, [other.public_key()], log[3]) or "")
    moved: Checkpoint = dataclasses.replace(cp, seq=5)
    assert "signature invalid" in (checkpoint_problem(moved, [key.public_key()], log[4]) or "")
    changed = dataclasses.replace(log[3], entry_sha256="e" * 64)
    assert "differs" in (checkpoint_problem(cp, [key.public_key()], changed) or "")
    assert "missing" in (checkpoint_problem(cp, [key.public_key()], None) or "")


def test_checkpoint_due_every_n_entries() -> None:
    assert [s for s in range(1, 21) if checkpoint_due(s, 8)] == [8, 16]
    with pytest.raises(DomainValidationError):
        checkpoint_due(3, 0)


def log_with_handover_at_6() -> list[SealedEntry]:
    """Ten entries; entry 6 is the HANDED_OVER note that closes a shift."""
    drafts = [draft(f"Quan sát {i}", minutes=i) for i in range(1, 11)]
    drafts[5] = draft(
        "Bàn giao ca",
        kind=EntryKind.HANDOVER_NOTE,
        minutes=6,
        attributes=(("handover_event", "HANDED_OVER"),),
    )
    return seal_all(drafts)


def signed(log: list[SealedEntry], *seqs: int, key: Ed25519PrivateKey = KEY) -> list[Checkpoint]:
    return [create_checkpoint(log[s - 1], at(20), CheckpointReason.INTERVAL, key) for s in seqs]


def audit(log: list[SealedEntry], checkpoints: list[Checkpoint], **kw: Any) -> CheckpointAudit:
    return audit_checkpoints(
        ROOM, log, checkpoints, [KEY.public_key()], interval=4, first_seq=1, last_seq=10, **kw
    )


def test_checkpoints_are_due_every_n_entries_and_at_each_handover() -> None:
    log = log_with_handover_at_6()
    due = due_seqs(log, 4, 1, 10)
    assert sorted(due) == [4, 6, 8]
    assert due[6] == "at the handover" and due[4] == "every 4 entries"
    assert sorted(due_seqs(log, 4, 5, 10)) == [6, 8]  # a slice from seq 5
    assert sorted(due_seqs(log, None, 1, 10)) == [6]  # interval unknown: handovers only
    complete = audit(log, signed(log, 4, 6, 8))
    assert complete.findings == () and complete.signed_seq == 8 and complete.checked == 3


def test_missing_and_foreign_checkpoints_are_findings_and_bound_the_signed_seq() -> None:
    log = log_with_handover_at_6()
    other = Ed25519PrivateKey.generate()
    result = audit(log, signed(log, 4) + signed(log, 8, key=other))
    assert [(f.seq, f.check) for f in result.findings] == [
        (6, CheckpointCheck.MISSING),
        (8, CheckpointCheck.INVALID),
    ]
    assert "missing (one is due at the handover)" in result.findings[0].description
    assert "not signed by a trusted key" in result.findings[1].description
    assert result.signed_seq == 4 and (result.missing, result.invalid) == (1, 1)
    # The other key is accepted only once it is trusted (a rotated key, from configuration).
    both = audit_checkpoints(
        ROOM,
        log,
        signed(log, 4, 6) + signed(log, 8, key=other),
        [KEY.public_key(), other.public_key()],
        interval=4,
        first_seq=1,
        last_seq=10,
    )
    assert both.findings == () and both.signed_seq == 8
    # A chain broken at seq 5 leaves only checkpoint 4 as proof.
    assert audit(log, signed(log, 4, 6, 8), broken_at=5).signed_seq == 4
