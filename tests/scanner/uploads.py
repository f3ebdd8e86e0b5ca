"""Helpers of the scanner API tests: scanners fitted to a phantom, uploads built from one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from customs.scanner.v1 import scanner_pb2

from services.platform import iso6346
from services.scanner import sample
from services.scanner.domain.phantoms import Phantom

ENERGIES = sample.ENERGIES
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


def scanner_request(scanner_id: str, ph: Phantom) -> scanner_pb2.CreateScannerRequest:
    return sample.create_scanner(scanner_id, ph, f"test scanner {scanner_id}")


payload = sample.payload


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
        weight = self.ph.cargo_mass_kg if self.weight is None else self.weight
        self.metadata = sample.upload_metadata(
            self.ph,
            self.scanner,
            self.key,
            self.containers,
            sample.declaration(f"VN-CL-{self.key}", () if self.empty else self.goods, weight),
            self.data,
        )

    def requests(self) -> Iterator[scanner_pb2.UploadScanRequest]:
        return sample.upload_requests(self.metadata, self.data, self.chunk)
