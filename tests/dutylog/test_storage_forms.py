"""Pure pieces of the service layer: stored entry form, sealing after a stored head, bundles of
a slice exported as stored, configuration."""

from __future__ import annotations

import base64
import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.dutylog.chain_store import entry_doc, entry_from_doc
from services.dutylog.domain.bundle import StoredSlice, build_bundle, verify_bundle
from services.dutylog.domain.canonical import GENESIS_SHA256
from services.dutylog.domain.chain import seal_after, seal_entry
from services.dutylog.domain.entries import References
from services.dutylog.domain.errors import DomainValidationError
from services.dutylog.settings import DutyLogSettings
from services.platform.config import ConfigError
from tests.dutylog.helpers import ROOM, at, draft, sample_log

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def test_stored_document_gives_back_the_same_sealed_entry() -> None:
    sealed = seal_entry(
        draft("Seal SL-1 opened at Mộc Bài", references=References(seal_names=("seals/SL-1",))),
        None,
    )
    doc = entry_doc(sealed)
    assert doc["name"] == f"rooms/{ROOM}/entries/1" and doc["seq"] == 1
    assert entry_from_doc(copy.deepcopy(doc)) == sealed
    broken = copy.deepcopy(doc)
    del broken["content"]["author"]
    with pytest.raises(DomainValidationError):
        entry_from_doc(broken)


def test_sealing_after_a_stored_head_equals_sealing_after_the_entry() -> None:
    log = sample_log(3)
    nxt = draft("Next", minutes=10)
    assert seal_after(nxt, log[-1].seq, log[-1].entry_sha256) == seal_entry(nxt, log[-1])
    assert seal_after(nxt, 0, GENESIS_SHA256) == seal_entry(nxt, None)
    with pytest.raises(DomainValidationError) as error:
        seal_after(draft("x"), -1, GENESIS_SHA256)
    assert error.value.field == "head_seq"


def test_a_slice_exported_as_stored_keeps_its_break_for_the_verifier() -> None:
    log = sample_log(6)
    stored = StoredSlice(log[1].prev_sha256, 2, 6, log[5].entry_sha256)
    with_gap = [log[1], log[2], log[4], log[5]]  # seq 4 deleted
    with pytest.raises(DomainValidationError):
        build_bundle(ROOM, "day", with_gap, [], KEY, at(30), checkpoint_every=100)
    bundle = build_bundle(
        ROOM, "day", with_gap, [], KEY, at(30), checkpoint_every=100, as_stored=stored
    )
    report = verify_bundle(bundle)
    assert report.signature_ok and not report.ok
    assert report.chain.first_break is not None and report.chain.first_break.seq == 5
    truncated = build_bundle(
        ROOM, "day", log[1:5], [], KEY, at(30), checkpoint_every=100, as_stored=stored
    )
    assert any("entries missing at the end" in p for p in verify_bundle(truncated).problems)
    intact = build_bundle(
        ROOM, "day", log[1:], [], KEY, at(30), checkpoint_every=100, as_stored=stored
    )
    assert verify_bundle(intact).ok


def test_settings_fail_with_the_variable_name_and_default_sensibly() -> None:
    settings = DutyLogSettings.from_env({"SEAL_ADDRESS": "127.0.0.1:1"})
    assert settings.ephemeral_key and settings.default_room_id == "national"
    assert settings.checkpoint_every == 100 and dict(settings.sources) == {"seal": "127.0.0.1:1"}
    seed = base64.b64encode(bytes(range(32))).decode()
    fixed = DutyLogSettings.from_env({"DUTYLOG_SIGNING_KEY": seed})
    assert not fixed.ephemeral_key
    for env, variable in [
        ({"DUTYLOG_SIGNING_KEY": "not a key"}, "DUTYLOG_SIGNING_KEY"),
        ({"DUTYLOG_DEFAULT_ROOM": "national"}, "DUTYLOG_DEFAULT_ROOM"),
        ({"DUTYLOG_CHECKPOINT_EVERY": "0"}, "DUTYLOG_CHECKPOINT_EVERY"),
    ]:
        with pytest.raises(ConfigError) as error:
            DutyLogSettings.from_env(env)
        assert error.value.variable == variable
