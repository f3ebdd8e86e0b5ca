"""Offline verifier of a dutylog export bundle.

Usage::

    python -m services.dutylog.verify_bundle BUNDLE.json [--public-key KEY ...]

Needs only this package's domain module and the ``cryptography`` library: no service, no
database, no network. It recomputes every content hash and the hash chain, checks the bundle
signature and the checkpoints: each one signed over its entry, and one wherever one is due (every
``checkpoint_every`` entries the bundle states, and at the handover that ends the shift); a
missing one is reported like a broken one.

``--public-key`` is a key the agency trusts (its DUTYLOG_SIGNING_KEY's public key), given
inline (base64 of the raw 32 bytes) or as a path to a file holding that base64 or a PEM public
key; repeat it to also trust keys from before a rotation. With it, the bundle must be signed by
one of those keys and so must every checkpoint: a bundle or checkpoint re-signed with another
key is rejected. Without it, checkpoints are checked against the bundle's own embedded key,
which shows the bundle is consistent, not who made it.

What a valid bundle proves: entries up to its last valid checkpoint are as the service signed
them; entries after it (an open shift's latest ones) only as the database held them at export.

Exit codes: 0 the bundle is intact; 1 it is broken (the first broken entry is named); 2 usage,
unreadable file or malformed bundle.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.dutylog.domain.bundle import BundleReport, load_bundle_json, verify_bundle
from services.dutylog.domain.checkpoints import load_public_key
from services.dutylog.domain.errors import DomainValidationError

EXIT_INTACT = 0
EXIT_BROKEN = 1
EXIT_USAGE = 2


def _expected_key(value: str) -> Ed25519PublicKey:
    path = Path(value)
    if path.is_file():
        return load_public_key(path.read_bytes(), "--public-key")
    return load_public_key(value, "--public-key")


def _render(report: BundleReport) -> list[str]:
    b = report.bundle
    head = f"room {b.room}, shift {b.shift_id}, entries {b.first_seq}..{b.last_seq}"
    lines = []
    if report.ok:
        lines.append(f"INTACT: {head} ({len(b.entries)} entries)")
    else:
        lines.append(f"BROKEN: {head}")
        brk = report.chain.first_break
        if brk is not None:
            lines.append(
                f"first broken entry: {brk.name} (seq {brk.seq}): {brk.check.value}: "
                f"{brk.explanation}"
            )
        for problem in report.problems:
            lines.append(f"  - {problem}")
    chain = "ok" if report.chain.ok else "BROKEN"
    lines.append(f"chain: {chain}, {report.chain.entries_checked} entries checked")
    lines.append(f"anchor (prev of first entry): {b.anchor_prev_sha256}")
    lines.append(f"head: seq {report.chain.head_seq} {report.chain.head_sha256}")
    audit = report.checkpoints
    every = f"every {b.checkpoint_every} entries" if b.checkpoint_every else "interval not stated"
    lines.append(
        f"checkpoints: {audit.checked - audit.invalid}/{audit.checked} valid, "
        f"{audit.missing} missing ({every} and at the handover)"
    )
    signed = f"seq {audit.signed_seq}" if audit.signed_seq else "none"
    lines.append(f"signed up to: {signed} (later entries are only as the database held them)")
    lines.append(f"bundle signature: {'valid' if report.signature_ok else 'INVALID'}")
    key_note = {None: "not checked (no --public-key)", True: "matches", False: "DOES NOT MATCH"}
    lines.append(f"signer key {b.public_key}: expected key {key_note[report.key_matches]}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.dutylog.verify_bundle",
        description="Verify a dutylog export bundle offline.",
    )
    parser.add_argument("bundle", help="path of the bundle JSON file")
    parser.add_argument(
        "--public-key",
        action="append",
        default=[],
        help="a trusted Ed25519 public key: base64 of the raw 32 bytes, or a file (base64 or "
        "PEM); repeat it for keys from before a rotation",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_INTACT
    try:
        expected = [_expected_key(value) for value in args.public_key]
        data = Path(args.bundle).read_bytes()
        report = verify_bundle(load_bundle_json(data), expected)
    except OSError as exc:
        print(f"ERROR: cannot read {args.bundle}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except DomainValidationError as exc:
        print(f"ERROR: malformed input: {exc.field}: {exc.description}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(_render(report)))
    return EXIT_INTACT if report.ok else EXIT_BROKEN


if __name__ == "__main__":
    sys.exit(main())
