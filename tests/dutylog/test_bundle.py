from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.dutylog.domain.bundle import (
    build_bundle,
    dump_bundle,
    load_bundle_json,
    verify_bundle,
)
from services.dutylog.domain.canonical import canonical_json, content_sha256
from services.dutylog.domain.chain import SealedEntry, entry_from_json, seal_all
from services.dutylog.domain.checkpoints import (
    CheckpointReason,
    checkpoint_from_json,
    create_checkpoint,
    public_key_b64,
    sign,
)
from services.dutylog.domain.errors import DomainValidationError
from tests.dutylog.helpers import ROOM, at, sample_log

REPO = Path(__file__).resolve().parents[2]
AGENCY_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
EVERY = 4  # the bundles' checkpoint interval: checkpoints due at seq 4 and 8


def make_bundle(key: Ed25519PrivateKey = AGENCY_KEY) -> dict[str, Any]:
    log = sample_log(8)
    shift = log[2:]  # the shift starts at seq 3, mid-chain
    checkpoints = [
        create_checkpoint(log[3], at(20), CheckpointReason.INTERVAL, key),
        create_checkpoint(log[7], at(21), CheckpointReason.HANDOVER, key),
    ]
    return build_bundle(
        ROOM, "S-2026-11-23-A", shift, checkpoints, key, at(30), checkpoint_every=EVERY
    )


def run_cli(tmp_path: Path, bundle: dict[str, Any] | bytes, *extra: str) -> tuple[int, str]:
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle if isinstance(bundle, bytes) else dump_bundle(bundle))
    result = subprocess.run(
        [sys.executable, "-m", "services.dutylog.verify_bundle", str(path), *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def entry_index(bundle: dict[str, Any], seq: int) -> int:
    return [e["seq"] for e in bundle["entries"]].index(seq)


def test_valid_bundle_verifies(tmp_path: Path) -> None:
    bundle = make_bundle()
    report = verify_bundle(load_bundle_json(dump_bundle(bundle)), [AGENCY_KEY.public_key()])
    assert report.ok and report.signature_ok and report.key_matches
    assert report.chain.head_seq == 8 and len(report.bundle.entries) == 6
    assert bundle["anchor_prev_sha256"] == report.bundle.entries[0].prev_sha256
    code, out = run_cli(tmp_path, bundle, "--public-key", public_key_b64(AGENCY_KEY))
    assert code == 0, out
    assert out.startswith("INTACT") and "checkpoints: 2/2 valid" in out and "matches" in out


def tamper_text(bundle: dict[str, Any]) -> None:
    bundle["entries"][entry_index(bundle, 5)]["text"] = "Không có gì bất thường"


def tamper_delete(bundle: dict[str, Any]) -> None:
    del bundle["entries"][entry_index(bundle, 5)]


def tamper_reorder(bundle: dict[str, Any]) -> None:
    i = entry_index(bundle, 5)
    entries = bundle["entries"]
    entries[i], entries[i + 1] = entries[i + 1], entries[i]


def tamper_hash(bundle: dict[str, Any]) -> None:
    bundle["entries"][entry_index(bundle, 5)]["entry_sha256"] = "0" * 63 + "1"


@pytest.mark.parametrize(
    ("tamper", "check", "seq"),
    [
        (tamper_text, "CONTENT_CHANGED", 5),
        (tamper_delete, "SEQUENCE_GAP", 6),
        (tamper_reorder, "REORDERED", 6),
        (tamper_hash, "ENTRY_HASH_MISMATCH", 5),
    ],
)
def test_tampering_is_detected_in_process_and_by_the_cli(
    tmp_path: Path, tamper: Any, check: str, seq: int
) -> None:
    bundle = make_bundle()
    tamper(bundle)
    report = verify_bundle(copy.deepcopy(bundle))
    assert not report.ok and report.chain.first_break is not None
    assert (report.chain.first_break.check.value, report.chain.first_break.seq) == (check, seq)
    assert not report.signature_ok
    code, out = run_cli(tmp_path, bundle)
    assert code == 1, out
    assert out.startswith("BROKEN")
    assert f"first broken entry: rooms/{ROOM}/entries/{seq} (seq {seq}): {check}" in out


def test_deleted_last_entry_is_detected(tmp_path: Path) -> None:
    bundle = make_bundle()
    bundle["entries"].pop()
    bundle["checkpoints"].pop()
    report = verify_bundle(copy.deepcopy(bundle))
    assert report.chain.ok and not report.ok
    assert any("entries missing at the end" in p for p in report.problems)
    code, out = run_cli(tmp_path, bundle)
    assert code == 1 and "entries missing at the end" in out


def test_changed_checkpoint_is_detected(tmp_path: Path) -> None:
    bundle = make_bundle()
    bundle["checkpoints"][0]["head_sha256"] = bundle["entries"][0]["entry_sha256"]
    code, out = run_cli(tmp_path, bundle)
    assert code == 1 and "checkpoints: 1/2 valid" in out


def forged_bundle(key: Ed25519PrivateKey) -> dict[str, Any]:
    """An attacker rewrites entry 5, recomputes every hash and re-signs with their own key."""
    original = make_bundle()
    entries: list[SealedEntry] = [entry_from_json(e) for e in original["entries"]]
    drafts = [e.draft for e in entries]
    drafts[2] = dataclasses.replace(drafts[2], text="Nội dung giả mạo")
    prev = entries[0]
    head = SealedEntry(prev.draft, prev.seq - 1, "0" * 64, "0" * 64, prev.prev_sha256)
    resealed = seal_all([*drafts], head=head)
    assert resealed[2].content_sha256 == content_sha256(drafts[2], 5)
    checkpoints = [
        create_checkpoint(resealed[1], at(20), CheckpointReason.INTERVAL, key),
        create_checkpoint(resealed[-1], at(21), CheckpointReason.HANDOVER, key),
    ]
    return build_bundle(
        ROOM, "S-2026-11-23-A", resealed, checkpoints, key, at(30), checkpoint_every=EVERY
    )


def test_bundle_signed_by_another_key_is_rejected_with_public_key(tmp_path: Path) -> None:
    attacker = Ed25519PrivateKey.generate()
    forged = forged_bundle(attacker)
    code, out = run_cli(tmp_path, forged)
    assert code == 0, out  # self-consistent: only the agency key can tell
    code, out = run_cli(tmp_path, forged, "--public-key", public_key_b64(AGENCY_KEY))
    assert code == 1 and "DOES NOT MATCH" in out and "not the expected key" in out
    key_file = tmp_path / "agency.pub"
    key_file.write_text(public_key_b64(AGENCY_KEY) + "\n")
    code, out = run_cli(tmp_path, make_bundle(attacker), "--public-key", str(key_file))
    assert code == 1 and "DOES NOT MATCH" in out


def test_usage_and_format_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli(tmp_path, b"{not json")[0] == 2
    assert run_cli(tmp_path, b'{"format": "dutylog.bundle.v1"}')[0] == 2
    bundle = make_bundle()
    bundle["entries"][0]["seq"] = "3"
    code, out = run_cli(tmp_path, bundle)
    assert code == 2 and "entries[0].seq" in out
    code, out = run_cli(tmp_path, make_bundle(), "--public-key", "not-a-key")
    assert code == 2 and "--public-key" in out
    result = subprocess.run(
        [sys.executable, "-m", "services.dutylog.verify_bundle"],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    missing = subprocess.run(
        [sys.executable, "-m", "services.dutylog.verify_bundle", str(tmp_path / "nope.json")],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2


def test_duplicate_keys_and_floats_are_refused() -> None:
    with pytest.raises(DomainValidationError):
        load_bundle_json(b'{"a": 1, "a": 2}')
    with pytest.raises(DomainValidationError):
        load_bundle_json(b'{"a": 1.5}')


def test_build_refuses_a_broken_slice() -> None:
    log = sample_log(5)
    with pytest.raises(DomainValidationError) as info:
        build_bundle(ROOM, "S1", [log[0], log[2]], [], AGENCY_KEY, at(30), checkpoint_every=EVERY)
    assert info.value.field == "entries"
    with pytest.raises(DomainValidationError):
        build_bundle(ROOM, "S1", [], [], AGENCY_KEY, at(30), checkpoint_every=EVERY)


def test_bundle_file_is_readable_json_and_reparses_identically() -> None:
    bundle = make_bundle()
    text = dump_bundle(bundle).decode()
    assert "\n  " in text and "Quan sát" in text
    assert json.loads(text) == bundle


def test_verifier_needs_no_service_dependencies() -> None:
    code = (
        "import sys, services.dutylog.verify_bundle\n"
        "heavy = {'grpc', 'pymongo', 'minio', 'numpy', 'numba', 'google', 'opentelemetry'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_missing_checkpoint_is_reported_in_process_and_by_the_cli(tmp_path: Path) -> None:
    log = sample_log(8)
    only_last = [create_checkpoint(log[7], at(21), CheckpointReason.HANDOVER, AGENCY_KEY)]
    bundle = build_bundle(
        ROOM, "S-2026-11-23-A", log[2:], only_last, AGENCY_KEY, at(30), checkpoint_every=EVERY
    )
    report = verify_bundle(copy.deepcopy(bundle), [AGENCY_KEY.public_key()])
    assert report.chain.ok and report.signature_ok and report.key_matches
    assert not report.ok and report.checkpoints.missing == 1
    assert report.checkpoint_problems == (
        f"checkpoint rooms/{ROOM}/checkpoints/4: missing (one is due every 4 entries)",
    )
    code, out = run_cli(tmp_path, bundle, "--public-key", public_key_b64(AGENCY_KEY))
    assert code == 1 and "checkpoints: 1/1 valid, 1 missing" in out, out
    assert "signed up to: none" in out


def test_checkpoints_re_signed_with_another_key_are_rejected(tmp_path: Path) -> None:
    """The service exports checkpoints as stored: forged ones, signed by someone else over
    recomputed hashes, arrive in a bundle the agency key signed, and are rejected."""
    attacker = Ed25519PrivateKey.generate()
    forged = forged_bundle(attacker)
    stored = [entry_from_json(e) for e in forged["entries"]]
    checkpoints = [checkpoint_from_json(c) for c in forged["checkpoints"]]
    exported = build_bundle(
        ROOM, "S-2026-11-23-A", stored, checkpoints, AGENCY_KEY, at(30), checkpoint_every=EVERY
    )
    code, out = run_cli(tmp_path, exported, "--public-key", public_key_b64(AGENCY_KEY))
    assert code == 1, out
    assert "checkpoints: 0/2 valid" in out and "not signed by a trusted key" in out
    assert "expected key matches" in out  # the bundle itself is the agency's


def test_keys_from_before_a_rotation_are_trusted_only_when_given(tmp_path: Path) -> None:
    new_key = Ed25519PrivateKey.generate()
    log = sample_log(8)
    old_checkpoints = [
        create_checkpoint(log[3], at(20), CheckpointReason.INTERVAL, AGENCY_KEY),
        create_checkpoint(log[7], at(21), CheckpointReason.HANDOVER, AGENCY_KEY),
    ]
    bundle = build_bundle(
        ROOM, "S-2026-11-23-A", log[2:], old_checkpoints, new_key, at(30), checkpoint_every=EVERY
    )
    new, old = public_key_b64(new_key), public_key_b64(AGENCY_KEY)
    code, out = run_cli(tmp_path, bundle, "--public-key", new)
    assert code == 1 and "checkpoints: 0/2 valid" in out, out
    code, out = run_cli(tmp_path, bundle, "--public-key", new, "--public-key", old)
    assert code == 0 and "signed up to: seq 8" in out, out


def test_a_v1_bundle_without_an_interval_is_still_read() -> None:
    bundle = make_bundle()
    del bundle["checkpoint_every"], bundle["signature"]
    bundle["format"] = "dutylog.bundle.v1"
    bundle["signature"] = sign(AGENCY_KEY, canonical_json(bundle))
    report = verify_bundle(bundle, [AGENCY_KEY.public_key()])
    assert report.ok and report.bundle.checkpoint_every is None
    bundle["checkpoint_every"] = EVERY  # a v1 bundle has exactly the v1 keys
    with pytest.raises(DomainValidationError):
        verify_bundle(bundle)
