"""Protos built from synthetic phantoms as scanners send them: the scanner registration with its
calibration lines, and the chunked upload of a scan. Shared by the demo data, the tests and the
benchmarks, so that all of them upload the way a device does."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import numpy as np
from customs.common.v1 import container_pb2
from customs.scanner.v1 import scanner_pb2 as pb

from services.scanner.domain.phantoms import Phantom

#: Energies (keV) of the low and high planes of every phantom.
ENERGIES = (4000, 6000)
#: Bytes per UploadScanRequest.chunk unless asked otherwise.
CHUNK = 1024 * 1024


def _line(values: np.ndarray) -> list[int]:
    return [int(v) for v in np.rint(values)]


def calibration(ph: Phantom) -> list[pb.CalibrationLines]:
    """The dark and air lines of both energies, as the scanner reports them."""
    s = ph.scan
    return [
        pb.CalibrationLines(energy_kev=ENERGIES[0], dark=_line(s.dark_low), air=_line(s.air_low)),
        pb.CalibrationLines(energy_kev=ENERGIES[1], dark=_line(s.dark_high), air=_line(s.air_high)),
    ]


def create_scanner(
    scanner_id: str, ph: Phantom, display_name: str, site: str = "sites/cat-lai"
) -> pb.CreateScannerRequest:
    """A drive-through container scanner fitted to the phantom's detector and calibration."""
    return pb.CreateScannerRequest(
        scanner_id=scanner_id,
        scanner=pb.Scanner(
            display_name=display_name,
            site=site,
            kind=pb.SCANNER_KIND_CONTAINER,
            energies_kev=list(ENERGIES),
            pixel_pitch_mm=ph.geometry.pixel_pitch_row_mm,
            detector_rows=ph.scan.low.shape[0],
        ),
        calibration=calibration(ph),
    )


def payload(ph: Phantom) -> bytes:
    """Both planes, little-endian uint16, low energy first: the bytes an upload carries."""
    return ph.scan.low.astype("<u2").tobytes() + ph.scan.high.astype("<u2").tobytes()


def declaration(
    reference: str, goods: Sequence[pb.GoodsLine], gross_weight_kg: float
) -> pb.Declaration:
    """A declaration of ``goods`` (none: declared empty)."""
    return pb.Declaration(
        reference=reference,
        goods=list(goods),
        gross_weight_kg=gross_weight_kg if goods else 0.0,
        declared_empty=not goods,
    )


def upload_metadata(
    ph: Phantom,
    scanner: str,
    key: str,
    containers: Sequence[str],
    declared: pb.Declaration,
    data: bytes,
) -> pb.UploadScanMetadata:
    """The first message of an upload of ``data`` (the phantom's payload)."""
    return pb.UploadScanMetadata(
        scanner=scanner,
        idempotency_key=key,
        container_numbers=[container_pb2.ContainerNumber(value=c) for c in containers],
        declaration=declared,
        rows=ph.scan.low.shape[0],
        columns=ph.scan.low.shape[1],
        calibration=calibration(ph),
        sha256=hashlib.sha256(data).hexdigest(),
        line_pitch_mm=ph.geometry.pixel_pitch_col_mm,
    )


def upload_requests(
    metadata: pb.UploadScanMetadata, data: bytes, chunk: int = CHUNK
) -> Iterator[pb.UploadScanRequest]:
    """The metadata, then ``data`` in chunks."""
    yield pb.UploadScanRequest(metadata=metadata)
    for start in range(0, len(data), chunk):
        yield pb.UploadScanRequest(chunk=data[start : start + chunk])
