"""Offline verifier of a dutylog export bundle.

Usage::

    python -m services.dutylog.verify_bundle BUNDLE.json [--public-key KEY]

Needs only this package's domain module and the ``cryptography`` library: no service, no
database, no network. It recomputes every content hash, the hash chain, the checkpoints and the
bundle signature. ``--public-key`` is the agency's expected signing key, given either inline
(base64 of the raw 32 bytes) or as a path to a file holding that base64 or a PEM public key;
the bundle's embedded key must be that key.

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
    lines.append(
        f"checkpoints: {len(b.checkpoints) - len(report.checkpoint_problems)}"
        f"/{len(b.checkpoints)} valid"
    )
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
        help="expected Ed25519 public key: base64 of the raw 32 bytes, or a file (base64 or PEM)",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_INTACT
    try:
        expected = _expected_key(args.public_key) if args.public_key else None
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
