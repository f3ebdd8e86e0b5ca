"""Demo data of the camera service: Cát Lái port gate and Mộc Bài border gate, with lanes,
cameras, a watchlist entry and passages (a correctable misread, an unreadable one, a weight
discrepancy and held exits). Runs once against a fresh stack, after the four services started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.common.v1 import geo_pb2
from google.protobuf import timestamp_pb2

from devstack.suite import Suite
from services.platform import iso6346

Metadata = tuple[tuple[str, str], ...]
#: The container the seal demo brings to Mộc Bài, intact and arrived.
SEALED_TRANSIT = "MSCU1000059"

SITES = (
    ("cat-lai", "Cát Lái port", camera_pb2.SITE_KIND_SEAPORT, 10.757, 106.790, "gate-2", "VN"),
    (
        "moc-bai",
        "Mộc Bài border gate",
        camera_pb2.SITE_KIND_LAND_BORDER,
        11.072,
        106.163,
        "main",
        "KH",
    ),
)


def _auth(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def _stamp(at: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


class Gates:
    """The demo gate layout and the calls a gate controller makes (also used by
    benchmarks/load.py)."""

    def __init__(self, stub: camera_pb2_grpc.CameraServiceStub, suite: Suite) -> None:
        self.stub = stub
        self.supervisor = _auth(suite.token("demo-supervisor", "supervisor"))
        self.device = _auth(suite.token("demo-gate-controller", "device"))
        self.officer = _auth(suite.token("demo-officer", "officer"))
        self._seq = 0

    def layout(self) -> dict[str, str]:
        """Sites, gates, lanes and cameras; returns lane and camera names by short key."""
        names: dict[str, str] = {}
        for site_id, title, kind, lat, lon, gate_id, hint in SITES:
            site = f"sites/{site_id}"
            self.stub.CreateSite(
                camera_pb2.CreateSiteRequest(
                    site_id=site_id,
                    site=camera_pb2.Site(
                        display_name=title,
                        kind=kind,
                        location=geo_pb2.GeoPoint(latitude=lat, longitude=lon),
                        country_code="VN",
                    ),
                ),
                metadata=self.supervisor,
            )
            gate = self.stub.CreateGate(
                camera_pb2.CreateGateRequest(
                    parent=site,
                    gate_id=gate_id,
                    gate=camera_pb2.Gate(
                        display_name=f"{title} {gate_id}",
                        location=geo_pb2.GeoPoint(latitude=lat + 0.001, longitude=lon),
                    ),
                ),
                metadata=self.supervisor,
            ).gate
            for lane_id, direction in (
                ("in-1", camera_pb2.LANE_DIRECTION_ENTRY),
                ("out-1", camera_pb2.LANE_DIRECTION_EXIT),
            ):
                lane = self.stub.CreateLane(
                    camera_pb2.CreateLaneRequest(
                        parent=gate.name,
                        lane_id=lane_id,
                        lane=camera_pb2.Lane(
                            display_name=lane_id, direction=direction, country_hint=hint
                        ),
                    ),
                    metadata=self.supervisor,
                ).lane
                names[f"{site_id}/{lane_id}"] = lane.name
                camera = self.stub.CreateCamera(
                    camera_pb2.CreateCameraRequest(
                        parent=site,
                        camera_id=f"ocr-{lane_id}",
                        camera=camera_pb2.Camera(
                            display_name=f"OCR {lane_id}",
                            kind=camera_pb2.CAMERA_KIND_GATE_OCR,
                            stream_address=f"rtsp://10.20.{len(names)}.10/ocr",
                            position=geo_pb2.GeoPoint(latitude=lat + 0.001, longitude=lon),
                            lane=lane.name,
                        ),
                    ),
                    metadata=self.supervisor,
                ).camera
                names[f"{site_id}/{lane_id}/camera"] = camera.name
            for camera_id, camera_kind in (
                ("cctv-yard", camera_pb2.CAMERA_KIND_SURVEILLANCE),
                ("bodycam-01", camera_pb2.CAMERA_KIND_BODY_WORN),
            ):
                self.stub.CreateCamera(
                    camera_pb2.CreateCameraRequest(
                        parent=site,
                        camera_id=camera_id,
                        camera=camera_pb2.Camera(
                            display_name=camera_id,
                            kind=camera_kind,
                            stream_address=f"rtsp://10.20.99.{len(names)}/{camera_id}",
                        ),
                    ),
                    metadata=self.supervisor,
                )
        return names

    def read(
        self,
        lane: str,
        camera: str,
        at: datetime,
        plate: str,
        containers: tuple[tuple[str, float], ...] = (),
        declaration: camera_pb2.Declaration | None = None,
    ) -> camera_pb2.RecordRecognitionEventResponse:
        self._seq += 1
        event = camera_pb2.RecognitionEvent(
            camera=camera,
            observe_time=_stamp(at),
            plate=camera_pb2.PlateRead(text=plate, confidence=0.93),
            containers=[camera_pb2.ContainerRead(text=t, confidence=c) for t, c in containers],
            seal_presence=camera_pb2.SEAL_PRESENCE_PRESENT
            if containers
            else camera_pb2.SEAL_PRESENCE_UNSPECIFIED,
            snapshot=b"\xff\xd8\xff\xe0demo-snapshot-" + str(self._seq).encode(),
            snapshot_content_type="image/jpeg",
        )
        if declaration is not None:
            event.declaration.CopyFrom(declaration)
        return self.stub.RecordRecognitionEvent(
            camera_pb2.RecordRecognitionEventRequest(
                parent=lane, event_id=f"demo-{self._seq:04d}", recognition_event=event
            ),
            metadata=self.device,
        )

    def weigh(self, lane: str, at: datetime, gross: float) -> None:
        self._seq += 1
        self.stub.RecordScaleReading(
            camera_pb2.RecordScaleReadingRequest(
                parent=lane,
                event_id=f"demo-{self._seq:04d}",
                scale_reading=camera_pb2.ScaleReading(
                    scale_id="scale-1", measure_time=_stamp(at), gross_weight_kg=gross, stable=True
                ),
            ),
            metadata=self.device,
        )

    def close(self, passage: str) -> camera_pb2.Passage:
        return self.stub.ClosePassage(
            camera_pb2.ClosePassageRequest(name=passage), metadata=self.device
        ).passage


def _hold(passage: camera_pb2.Passage) -> str:
    if passage.decision.action != camera_pb2.BARRIER_ACTION_HOLD:
        return "OPEN"
    return "HOLD (" + ", ".join(dict.fromkeys(r.code for r in passage.decision.reasons)) + ")"


def load(suite: Suite) -> list[str]:
    """Creates the camera demo data; returns lines for a newcomer."""
    with grpc.insecure_channel(suite.services["camera"].address) as channel:
        gates = Gates(camera_pb2_grpc.CameraServiceStub(channel), suite)
        names = gates.layout()
        gates.stub.CreateWatchlistEntry(
            camera_pb2.CreateWatchlistEntryRequest(
                watchlist_entry_id="plate-51d-678-90",
                watchlist_entry=camera_pb2.WatchlistEntry(
                    kind=camera_pb2.WATCH_KIND_PLATE,
                    value="51D-678.90",
                    reason="Risk management target: undervalued electronics, case 12/2026",
                ),
            ),
            metadata=gates.supervisor,
        )
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
        cl_in, cl_out = names["cat-lai/in-1"], names["cat-lai/out-1"]
        mb_in, mb_out = names["moc-bai/in-1"], names["moc-bai/out-1"]

        # 1. An empty truck enters Cát Lái and is weighed: its tare for the exit.
        empty = gates.read(cl_in, names["cat-lai/in-1/camera"], start, "51C-123.45").passage
        gates.weigh(cl_in, start + timedelta(seconds=6), 15_200.0)
        gates.close(empty.name)

        # 2. It leaves loaded: net weight far above the declared goods weight.
        loaded = iso6346.make("CSQ", "U", "305438").text
        out = start + timedelta(hours=1)
        heavy = gates.read(
            cl_out,
            names["cat-lai/out-1/camera"],
            out,
            "51C12345",
            ((loaded, 0.97),),
            camera_pb2.Declaration(
                reference="104512345670",
                declarant_tax_code="0301234567",
                declared_goods_weight_kg=12_000.0,
                declared_containers_tare_kg=3_800.0,
            ),
        ).passage
        gates.weigh(cl_out, out + timedelta(seconds=5), 40_100.0)
        heavy = gates.close(heavy.name)

        # 3. A misread container number at the exit: corrected, but held for an officer.
        good = iso6346.make("MSK", "U", "907032").text
        misread = good[:5] + "O" + good[6:]
        odd = gates.read(
            cl_out,
            names["cat-lai/out-1/camera"],
            out + timedelta(minutes=20),
            "51C-888.12",
            ((misread, 0.95),),
        ).passage
        odd = gates.close(odd.name)

        # 4. A Cambodian truck enters at Mộc Bài; its plate is kept as read with its country.
        cambodian = gates.read(
            mb_in,
            names["moc-bai/in-1/camera"],
            start + timedelta(hours=2),
            "2A 1234",
            ((iso6346.make("TGH", "U", "612340").text, 0.96),),
        ).passage
        cambodian = gates.close(cambodian.name)

        # 5. A watch-listed truck tries to leave at Mộc Bài.
        listed = gates.read(
            mb_out,
            names["moc-bai/out-1/camera"],
            start + timedelta(hours=2, minutes=30),
            "51D-678.90",
        ).passage
        listed = gates.close(listed.name)

        # 6. The sealed transit of the seal demo (arrived intact at Mộc Bài) leaves for Cambodia.
        transit = gates.read(
            mb_out,
            names["moc-bai/out-1/camera"],
            start + timedelta(hours=2, minutes=45),
            "70C-456.78",
            ((SEALED_TRANSIT, 0.98),),
        ).passage
        transit = gates.close(transit.name)

        # 7. Only part of a container number could be read at the Cát Lái exit: kept as read.
        partial = gates.read(
            cl_out,
            names["cat-lai/out-1/camera"],
            out + timedelta(minutes=40),
            "51C-246.80",
            (("TGHU61234", 0.71),),
        ).passage
        partial = gates.close(partial.name)

    w = heavy.weight
    return [
        "camera: Cát Lái port (10.757, 106.790) gate-2 and Mộc Bài border gate (11.072, 106.163):"
        " 4 lanes, 8 cameras (OCR, CCTV, body-worn), 1 watch-listed plate, 7 passages",
        f"  weight discrepancy: {heavy.name}: net {w.net_weight_kg:.0f} kg vs declared "
        f"{w.declared_weight_kg:.0f} kg (tare from the entry weighing) -> {_hold(heavy)}",
        f"  correctable misread {misread} -> proposals {', '.join(odd.containers[0].proposals)}:"
        f" {_hold(odd)}",
        f"  foreign plate at Mộc Bài: {cambodian.plate.normalised}"
        f" ({cambodian.plate.country_code})",
        f"  unreadable read {partial.containers[0].text} kept as read: {_hold(partial)}",
        f"  held exit: {listed.name}: {_hold(listed)}",
        f"  sealed transit {SEALED_TRANSIT} (seal demo) leaving Mộc Bài: {_hold(transit)}",
        "  (exits also hold with SCAN_/SEAL_STATUS_UNKNOWN while scanner or seal cannot answer,"
        " and with CONTAINER_NOT_READ when no container was read and the scale does not show"
        " the truck empty)",
    ]
