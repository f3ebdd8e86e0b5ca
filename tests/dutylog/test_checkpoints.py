from __future__ import annotations

import base64
import dataclasses

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

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
from services.dutylog.domain.errors import DomainValidationError
from tests.dutylog.helpers import at, sample_log

SEED = bytes(range(32))


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
    assert checkpoint_problem(cp, key.public_key(), log[3]) is None
    assert checkpoint_from_json(checkpoint_to_json(cp)) == cp


def test_checkpoint_problems_are_reported() -> None:
    log = sample_log(5)
    key = load_private_key(base64.b64encode(SEED))
    cp = create_checkpoint(log[3], at(10), CheckpointReason.HANDOVER, key)
    other = Ed25519PrivateKey.generate()
    assert "signature invalid" in (checkpoint_problem(cp, other.public_key(), log[3]) or "")
    moved: Checkpoint = dataclasses.replace(cp, seq=5)
    assert "signature invalid" in (checkpoint_problem(moved, key.public_key(), log[4]) or "")
    changed = dataclasses.replace(log[3], entry_sha256="e" * 64)
    assert "differs" in (checkpoint_problem(cp, key.public_key(), changed) or "")
    assert "missing" in (checkpoint_problem(cp, key.public_key(), None) or "")


def test_checkpoint_due_every_n_entries() -> None:
    assert [s for s in range(1, 21) if checkpoint_due(s, 8)] == [8, 16]
    with pytest.raises(DomainValidationError):
        checkpoint_due(3, 0)
