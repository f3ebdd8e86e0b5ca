"""Helpers of the scanner API tests: scanners fitted to a phantom, uploads built from one."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from customs.common.v1 import container_pb2
from customs.scanner.v1 import scanner_pb2

from services.platform import iso6346
from services.scanner.domain.phantoms import Phantom

ENERGIES = (4000, 6000)
TEXTILES = (
    scanner_pb2.GoodsLine(
        hs_code="610910",
        description="cotton t-shirts",
        category=scanner_pb2.GOODS_CATEGORY_TEXTILES,
    ),
)
MACHINERY = (
    scanner_pb2.GoodsLine(
        hs_code="842952",
        description="excavator parts",
        category=scanner_pb2.GOODS_CATEGORY_MACHINERY,
    ),
)


def unique_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def container() -> str:
    """A fresh valid ISO 6346 number."""
    serial = f"{uuid.uuid4().int % 1_000_000:06d}"
    return iso6346.make("TST", "U", serial).text


def _line(values: np.ndarray) -> list[int]:
    return [int(v) for v in np.rint(values)]


def scanner_request(scanner_id: str, ph: Phantom) -> scanner_pb2.CreateScannerRequest:
    s = ph.scan
    return scanner_pb2.CreateScannerRequest(
        scanner_id=scanner_id,
        scanner=scanner_pb2.Scanner(
            display_name=f"test scanner {scanner_id}",
            site="sites/cat-lai",
            kind=scanner_pb2.SCANNER_KIND_CONTAINER,
            energies_kev=list(ENERGIES),
            pixel_pitch_mm=ph.geometry.pixel_pitch_row_mm,
            detector_rows=s.low.shape[0],
        ),
        calibration=[
            scanner_pb2.CalibrationLines(
                energy_kev=ENERGIES[0], dark=_line(s.dark_low), air=_line(s.air_low)
            ),
            scanner_pb2.CalibrationLines(
                energy_kev=ENERGIES[1], dark=_line(s.dark_high), air=_line(s.air_high)
            ),
        ],
    )


def payload(ph: Phantom) -> bytes:
    return ph.scan.low.astype("<u2").tobytes() + ph.scan.high.astype("<u2").tobytes()


@dataclass
class Upload:
    """One upload of a phantom; fields can be spoiled before ``requests()``."""

    ph: Phantom
    scanner: str
    key: str
    containers: tuple[str, ...]
    goods: tuple[scanner_pb2.GoodsLine, ...] = TEXTILES
    empty: bool = False
    weight: float | None = None
    chunk: int = 256 * 1024

    def __post_init__(self) -> None:
        self.data = payload(self.ph)
        s = self.ph.scan
        weight = self.ph.cargo_mass_kg if self.weight is None else self.weight
        self.metadata = scanner_pb2.UploadScanMetadata(
            scanner=self.scanner,
            idempotency_key=self.key,
            container_numbers=[container_pb2.ContainerNumber(value=c) for c in self.containers],
            declaration=scanner_pb2.Declaration(
                reference=f"VN-CL-{self.key}",
                goods=[] if self.empty else list(self.goods),
                gross_weight_kg=0.0 if self.empty else weight,
                declared_empty=self.empty,
            ),
            rows=s.low.shape[0],
            columns=s.low.shape[1],
            calibration=[
                scanner_pb2.CalibrationLines(
                    energy_kev=ENERGIES[0], dark=_line(s.dark_low), air=_line(s.air_low)
                ),
                scanner_pb2.CalibrationLines(
                    energy_kev=ENERGIES[1], dark=_line(s.dark_high), air=_line(s.air_high)
                ),
            ],
            sha256=hashlib.sha256(self.data).hexdigest(),
            line_pitch_mm=self.ph.geometry.pixel_pitch_col_mm,
        )

    def requests(self) -> Iterator[scanner_pb2.UploadScanRequest]:
        yield scanner_pb2.UploadScanRequest(metadata=self.metadata)
        for start in range(0, len(self.data), self.chunk):
            yield scanner_pb2.UploadScanRequest(chunk=self.data[start : start + self.chunk])
