"""Builders shared by the dutylog service tests (over real gRPC)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import dutylog_pb2_grpc
from customs.dutylog.v1 import resources_pb2 as pb
from customs.scanner.v1 import scanner_pb2, scanner_pb2_grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from devstack.suite import Suite
from tests.support.stack import auth, channel

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
Stub = dutylog_pb2_grpc.DutyLogServiceStub


def uid(prefix: str) -> str:
    """A unique identifier starting with ``prefix``."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def from_now(delta: timedelta) -> Timestamp:
    """The time ``delta`` from now."""
    value = Timestamp()
    value.FromDatetime(datetime.now(UTC) + delta)
    return value


def officer(subject: str, name: str, department: int = pb.DEPARTMENT_ANTI_SMUGGLING) -> pb.Officer:
    return pb.Officer(subject=subject, display_name=name, department=department)


LAN = officer("lan", "Nguyễn Thị Lan")
MINH = officer("minh", "Trần Văn Minh", pb.DEPARTMENT_RISK_MANAGEMENT)
HUNG = officer("hung", "Lê Quốc Hùng", pb.DEPARTMENT_SUPERVISION)


def stub(suite: Suite) -> Stub:
    return dutylog_pb2_grpc.DutyLogServiceStub(channel(suite, "dutylog"))


def as_(suite: Suite, subject: str, *roles: str) -> tuple[tuple[str, str], ...]:
    return tuple(auth(suite.token(subject, *(roles or ("officer",)))))


def create_room(suite: Suite, room_id: str, sites: tuple[str, ...] = ()) -> str:
    stub(suite).CreateRoom(
        api.CreateRoomRequest(
            room_id=room_id,
            room=api.Room(display_name=f"Room {room_id}", sites=sites, time_zone="Asia/Bangkok"),
        ),
        metadata=as_(suite, "sup", "supervisor"),
    )
    return f"rooms/{room_id}"


def open_shift(
    suite: Suite, room: str, shift_id: str, leader: pb.Officer, *others: pb.Officer
) -> pb.Shift:
    request = api.OpenShiftRequest(
        parent=room, shift_id=shift_id, shift=pb.Shift(leader=leader, officers=others)
    )
    return stub(suite).OpenShift(request, metadata=as_(suite, leader.subject)).shift


def write(suite: Suite, room: str, who: str, text: str, **fields: Any) -> pb.Entry:
    entry = pb.Entry(kind=fields.pop("kind", pb.ENTRY_KIND_OBSERVATION), text=text, **fields)
    request = api.CreateEntryRequest(parent=room, entry=entry)
    return stub(suite).CreateEntry(request, metadata=as_(suite, who)).entry


def low_battery_seal(suite: Suite, seal_id: str) -> None:
    """A seal registered at 5% battery: the seal service raises SEAL_BATTERY_LOW."""
    seal_pb2_grpc.SealServiceStub(channel(suite, "seal")).CreateSeal(
        seal_pb2.CreateSealRequest(
            seal_id=seal_id,
            seal=seal_pb2.Seal(manufacturer="Acme", serial_number=seal_id, battery_percent=5),
        ),
        metadata=as_(suite, "svc", "service"),
    )


def faulty_scanner(suite: Suite, scanner_id: str, site: str) -> str:
    """A scanner at ``site`` with a dead detector row: the scanner service raises
    SCANNER_DEAD_DETECTOR_ROWS there, which the room supervising the site records."""
    rows = 32
    dark = [100] * rows
    air = [60000] * rows
    air[3] = 103
    scanner_pb2_grpc.ScannerServiceStub(channel(suite, "scanner")).CreateScanner(
        scanner_pb2.CreateScannerRequest(
            scanner_id=scanner_id,
            scanner=scanner_pb2.Scanner(
                display_name="Gate scanner",
                site=site,
                kind=scanner_pb2.SCANNER_KIND_CONTAINER,
                energies_kev=[4000, 6000],
                pixel_pitch_mm=5.0,
                detector_rows=rows,
            ),
            calibration=[
                scanner_pb2.CalibrationLines(energy_kev=e, dark=dark, air=air) for e in (4000, 6000)
            ],
        ),
        metadata=as_(suite, "sup", "supervisor"),
    )
    return f"scanners/{scanner_id}"


def all_alarms(suite: Suite, room: str) -> list[pb.Alarm]:
    found: list[pb.Alarm] = []
    token = ""
    while True:
        page = stub(suite).ListAlarms(
            api.ListAlarmsRequest(parent=room, page_size=1000, page_token=token),
            metadata=as_(suite, "aud", "auditor"),
        )
        found.extend(page.alarms)
        token = page.next_page_token
        if not token:
            return found


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Polls ``probe`` until it returns something truthy (a wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def alarm_for(suite: Suite, room: str, subject: str) -> pb.Alarm:
    return eventually(
        lambda: next((a for a in all_alarms(suite, room) if a.subject == subject), None),
        f"an alarm about {subject} in {room}",
    )


def verify_offline(tmp_path: Path, bundle: bytes, *extra: str) -> tuple[int, str]:
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle)
    result = subprocess.run(
        [sys.executable, "-m", "services.dutylog.verify_bundle", str(path), *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr
