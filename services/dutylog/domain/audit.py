"""Auditing checkpoints: each one signed by a trusted key and matching its entry, and one
wherever one is due.

A checkpoint is due at every seq that is a multiple of the checkpoint interval
(DUTYLOG_CHECKPOINT_EVERY) and at every handover (the HANDED_OVER note, ``handed_over``).
Signatures are checked against the keys the verifier trusts (the service's configuration, or the
keys an auditor gives the offline verifier), never against a key stored beside the checkpoint:
whoever can write the database can write a key there too.

What this proves, and what it does not. Someone with write access to the database can rewrite
entries, recompute every hash so that the chain is self-consistent, and delete or re-sign the
checkpoints. Every checkpoint at or after the first rewritten entry then disagrees with its
entry, is not signed by a trusted key, or is missing where one is due: a change to anything up
to the last genuine checkpoint is detected. The limits:

- entries after the last checkpoint (fewer than the interval, or since the last handover) are
  only as good as the database: they can be rewritten or deleted undetected;
- deleting the tail of a log together with the checkpoints over it (and moving the head back)
  looks like a shorter log; only a checkpoint or bundle kept outside the database (an export,
  the service's "checkpoint signed" log lines) shows it;
- lowering the interval of an existing deployment makes the older checkpoints, taken at the
  old cadence, look missing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.checkpoints import Checkpoint, checkpoint_problem
from services.dutylog.domain.handovers import handed_over


class CheckpointCheck(enum.Enum):
    """What is wrong with the checkpoint of a seq (names as in the proto's ChainCheck)."""

    MISSING = "CHECKPOINT_MISSING"
    INVALID = "CHECKPOINT_INVALID"


@dataclass(frozen=True, slots=True)
class CheckpointFinding:
    """A checkpoint that is wrong, or missing where one is due."""

    seq: int
    check: CheckpointCheck
    expected: str
    actual: str
    description: str  # in words, naming the checkpoint


@dataclass(frozen=True, slots=True)
class CheckpointAudit:
    """Findings by seq, the number of checkpoints checked, and ``signed_seq``: the highest seq
    of a valid checkpoint below every finding and below the chain's first break (0 when none)."""

    findings: tuple[CheckpointFinding, ...]
    checked: int
    signed_seq: int

    @property
    def invalid(self) -> int:
        return sum(1 for f in self.findings if f.check is CheckpointCheck.INVALID)

    @property
    def missing(self) -> int:
        return sum(1 for f in self.findings if f.check is CheckpointCheck.MISSING)


def due_seqs(
    entries: Iterable[SealedEntry], interval: int | None, first_seq: int, last_seq: int
) -> dict[int, str]:
    """Seqs in [first_seq, last_seq] that must carry a checkpoint, each with why. ``interval``
    None (a bundle that does not state it) leaves only the handovers."""
    due: dict[int, str] = {}
    if interval is not None and interval >= 1:
        start = -(-first_seq // interval) * interval
        for seq in range(start, last_seq + 1, interval):
            due[seq] = f"every {interval} entries"
    for entry in entries:
        if first_seq <= entry.seq <= last_seq and handed_over(entry):
            also = f", and {due[entry.seq]}" if entry.seq in due else ""
            due[entry.seq] = f"at the handover{also}"
    return due


def audit_checkpoints(
    room: str,
    entries: Sequence[SealedEntry],
    checkpoints: Sequence[Checkpoint],
    trusted: Sequence[Ed25519PublicKey],
    *,
    interval: int | None,
    first_seq: int,
    last_seq: int,
    broken_at: int | None = None,
) -> CheckpointAudit:
    """Checks ``checkpoints`` of ``room`` against the ``trusted`` keys and ``entries`` (the
    stored entries with seq in [first_seq, last_seq]), and that none is missing where one is
    due. ``broken_at`` is the seq of the chain's first break, if any."""
    by_seq = {e.seq: e for e in entries}
    findings: dict[int, CheckpointFinding] = {}
    valid: set[int] = set()
    for cp in checkpoints:
        problem = checkpoint_problem(cp, trusted, by_seq.get(cp.seq))
        if problem is None:
            valid.add(cp.seq)
        elif cp.seq not in findings:
            findings[cp.seq] = CheckpointFinding(
                cp.seq,
                CheckpointCheck.INVALID,
                "a checkpoint signed by a trusted key over the stored entry",
                problem.partition(": ")[2],
                problem,
            )
    for seq, why in due_seqs(entries, interval, first_seq, last_seq).items():
        if seq not in valid and seq not in findings:
            findings[seq] = CheckpointFinding(
                seq,
                CheckpointCheck.MISSING,
                f"a checkpoint ({why})",
                "none",
                f"checkpoint rooms/{room}/checkpoints/{seq}: missing (one is due {why})",
            )
    ordered = tuple(findings[s] for s in sorted(findings))
    bounds = [f.seq for f in ordered] + ([broken_at] if broken_at is not None else [])
    limit = min(bounds, default=None)
    signed = max((s for s in valid if limit is None or s < limit), default=0)
    return CheckpointAudit(ordered, len(checkpoints), signed)
