"""Builders shared by the dutylog domain tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.dutylog.domain.chain import SealedEntry, seal_all
from services.dutylog.domain.entries import Department, EntryDraft, EntryKind, Officer, References

ROOM = "HCM-CATLAI-01"
T0 = datetime(2026, 11, 23, 6, 0, 0, 123456, tzinfo=UTC)

LAN = Officer("officer:lan", "Nguyễn Thị Lan", Department.ANTI_SMUGGLING)
MINH = Officer("officer:minh", "Trần Văn Minh", Department.RISK_MANAGEMENT)
HUNG = Officer("officer:hung", "Lê Quốc Hùng", Department.SUPERVISION)
THAO = Officer("officer:thao", "Phạm Thu Thảo", Department.POST_CLEARANCE_AUDIT)
SYSTEM = Officer("service:dutylog", "Hệ thống ghi nhận tự động", Department.SUPERVISION)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def draft(
    text: str = "Xe container vào bãi kiểm tra",
    kind: EntryKind = EntryKind.OBSERVATION,
    minutes: float = 0,
    **kwargs: object,
) -> EntryDraft:
    return EntryDraft(
        room=ROOM,
        kind=kind,
        author=LAN,
        time=at(minutes),
        text=text,
        **kwargs,  # type: ignore[arg-type]
    )


def sample_log(n: int = 6) -> list[SealedEntry]:
    drafts = [
        draft(f"Quan sát số {i}: luồng đỏ, container CSQU3054383", minutes=i)
        if i % 2
        else draft(
            f"Hành động {i}",
            kind=EntryKind.ACTION,
            minutes=i,
            references=References(container_numbers=("CSQU3054383",)),
        )
        for i in range(1, n + 1)
    ]
    return seal_all(drafts)
