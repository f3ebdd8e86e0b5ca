"""Upload checks without a server: metadata against the scanner, the streamed payload."""

import hashlib
from typing import Any

import numpy as np
import pytest
from customs.scanner.v1 import scanner_pb2 as pb

from services.platform.errors import InvalidArgument
from services.scanner.domain import GoodsCategory
from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.phantoms import Phantom, PhantomKind
from services.scanner.intake import UploadBuffer, plan
from tests.scanner.uploads import Upload, container, scanner_request

MAX = 64 * 1024 * 1024


def stored_scanner(ph: Phantom, kind: str = "CONTAINER") -> dict[str, Any]:
    s = scanner_request("CL-T", ph).scanner
    return {
        "name": "scanners/CL-T",
        "site": s.site,
        "kind": kind,
        "energies_kev": list(s.energies_kev),
        "detector_rows": s.detector_rows,
        "pixel_pitch_mm": s.pixel_pitch_mm,
    }


def violations(meta: pb.UploadScanMetadata, scanner: dict[str, Any] | None) -> list[str]:
    with pytest.raises(InvalidArgument) as error:
        plan(meta, scanner, MAX)
    return [v.field for v in error.value.violations]


def test_valid_metadata_becomes_a_plan(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    number = container()
    up = Upload(ph, "scanners/CL-T", "key-1", (number.lower()[:4] + " " + number[4:],))
    p = plan(up.metadata, stored_scanner(ph), MAX)
    assert p.container_numbers == (number,)
    assert p.payload_bytes == len(up.data) == 4 * ph.scan.low.size
    assert p.declaration.goods[0].category is GoodsCategory.TEXTILES
    assert p.geometry == ph.geometry
    assert p.calibration["air_high"][0] == round(ph.scan.air_high[0])


def test_every_bad_field_is_named(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    scanner = stored_scanner(ph)
    up = Upload(ph, "scanners/CL-T", "key-1", (container(),))
    m = up.metadata
    m.idempotency_key = ""
    m.declaration.reference = ""
    m.declaration.goods[0].hs_code = "61a"
    m.declaration.goods[0].category = pb.GOODS_CATEGORY_UNSPECIFIED
    m.rows = 10
    m.columns = 0
    m.sha256 = "abc"
    m.container_numbers[0].value = "CSQU3054384"
    assert sorted(violations(m, scanner)) == sorted(
        [
            "metadata.idempotency_key",
            "metadata.declaration.reference",
            "metadata.declaration.goods[0].hs_code",
            "metadata.declaration.goods[0].category",
            "metadata.rows",
            "metadata.columns",
            "metadata.sha256",
            "metadata.container_numbers[0].value",
        ]
    )
    assert violations(up.metadata, None)[0] == "metadata.scanner"


def test_container_scans_need_a_container_baggage_scans_do_not(
    phantoms: dict[PhantomKind, Phantom],
) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    up = Upload(ph, "scanners/CL-T", "key-1", ())
    assert violations(up.metadata, stored_scanner(ph)) == ["metadata.container_numbers"]
    assert plan(up.metadata, stored_scanner(ph, "BAGGAGE"), MAX).container_numbers == ()
    twice = Upload(ph, "scanners/CL-T", "key-1", (container(),) * 2)
    assert violations(twice.metadata, stored_scanner(ph)) == ["metadata.container_numbers"]


def test_declared_empty_with_goods_and_too_large_payloads(
    phantoms: dict[PhantomKind, Phantom],
) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    up = Upload(ph, "scanners/CL-T", "key-1", (container(),))
    up.metadata.declaration.declared_empty = True
    assert violations(up.metadata, stored_scanner(ph)) == ["metadata.declaration.goods"]
    up.metadata.declaration.declared_empty = False
    with pytest.raises(InvalidArgument) as error:
        plan(up.metadata, stored_scanner(ph), len(up.data) - 1)
    assert [v.field for v in error.value.violations] == ["metadata.columns"]


def test_buffer_returns_the_planes_once_complete_and_verified() -> None:
    rows, cols = 3, 5
    low = np.arange(15, dtype=np.uint16).reshape(rows, cols)
    high = (low * 1000 + 7).astype(np.uint16)
    data = low.astype("<u2").tobytes() + high.astype("<u2").tobytes()
    buffer = UploadBuffer(len(data))
    for i in range(0, len(data), 7):
        buffer.append(data[i : i + 7])
    _, got_low, got_high = buffer.finish(hashlib.sha256(data).hexdigest(), rows, cols)
    np.testing.assert_array_equal(got_low, low)
    np.testing.assert_array_equal(got_high, high)
    assert got_low.dtype == np.uint16 and got_low.flags.writeable


def test_buffer_refuses_overflow_truncation_and_a_wrong_checksum() -> None:
    data = bytes(range(60))
    digest = hashlib.sha256(data).hexdigest()
    over = UploadBuffer(60)
    over.append(data)
    with pytest.raises(DomainValidationError) as error:
        over.append(b"x")
    assert error.value.field == "chunk"
    short = UploadBuffer(60)
    short.append(data[:59])
    with pytest.raises(DomainValidationError) as error:
        short.finish(digest, 3, 5)
    assert error.value.field == "chunk" and "truncated" in error.value.description
    wrong = UploadBuffer(60)
    wrong.append(data[::-1])
    with pytest.raises(DomainValidationError) as error:
        wrong.finish(digest, 3, 5)
    assert error.value.field == "metadata.sha256"
