"""What an ingesting process remembers of a seal's stored sequence numbers: complete from
``known_from`` up, bounded in size (older numbers are then asked of the database)."""

from __future__ import annotations

from services.seal.domain.lifecycle import SealState
from services.seal.ingest import _KNOWN_MAX, Device


def test_known_numbers_start_above_what_was_stored_before_loading() -> None:
    device = Device("seals/S-1", SealState.IN_TRANSIT, None, None, highest_seq=41)
    assert device.known == set() and device.known_from == 42
    device.stored({42, 43, 45})
    assert device.known == {42, 43, 45}  # 44 is not stored: a late ping will be new


def test_known_numbers_stay_bounded_and_complete_above_their_floor() -> None:
    device = Device("seals/S-2", SealState.IN_TRANSIT, None, None, highest_seq=0)
    last = 0
    for start in range(1, 3 * _KNOWN_MAX, 1000):
        last = start + 999
        device.stored(set(range(start, last + 1)))
    assert len(device.known) <= _KNOWN_MAX
    assert device.known_from > 1
    assert device.known == set(range(device.known_from, last + 1))
