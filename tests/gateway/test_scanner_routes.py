"""Scans through the gateway: a streamed upload, the analysis, the false-colour image by its
presigned URL, the analyst's hold, the inspection, and the scan part of the dossier."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator

import httpx
import pytest
from customs.scanner.v1 import scanner_pb2_grpc

from devstack.suite import Suite
from services.gateway.problems import Problem
from services.gateway.routes.scanner import UPLOAD_MEDIA_TYPE, rechunk, split_upload
from services.scanner.domain.phantoms import PhantomKind, make_phantom
from tests.gateway.scenery import bearer, container_number, scan_upload_body, unique
from tests.scanner.uploads import Upload, scanner_request
from tests.support.stack import auth, channel


async def pieces(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def collect(stream: AsyncIterator[bytes]) -> list[bytes]:
    return [piece async for piece in stream]


def test_upload_body_is_split_at_the_metadata_line_and_rechunked() -> None:
    async def run() -> tuple[bytes, list[bytes]]:
        head, payload = await split_upload(pieces(b'{"rows"', b": 2}\nab", b"cdefg", b"h"))
        return head, await collect(rechunk(payload, 3))

    head, chunks = asyncio.run(run())
    assert head == b'{"rows": 2}'
    assert chunks == [b"abc", b"def", b"gh"]


def test_upload_body_without_metadata_line_is_refused_naming_the_body() -> None:
    with pytest.raises(Problem) as refused:
        asyncio.run(split_upload(pieces(b"{}", b"no newline")))
    assert refused.value.status == 400 and refused.value.extra["errors"][0]["field"] == "body"


def test_scan_upload_hold_inspection_and_dossier(suite: Suite, http: httpx.Client) -> None:
    phantom = make_phantom(PhantomKind.STEEL_IN_ORGANIC, rows=256, cols=600, seed=5)
    scanner = (
        scanner_pb2_grpc.ScannerServiceStub(channel(suite, "scanner"))
        .CreateScanner(
            scanner_request(unique("GWSC"), phantom),
            metadata=auth(suite.token("sup", "supervisor")),
        )
        .scanner.name
    )
    scanner_id = scanner.removeprefix("scanners/")
    number = container_number()
    up = Upload(phantom, scanner, unique("key"), (number,))
    device = {**bearer(suite.token("scanner-device", "device")), "Content-Type": UPLOAD_MEDIA_TYPE}
    url = f"/v1/scanners/{scanner_id}/scans:upload"
    created = http.post(url, content=scan_upload_body(up), headers=device, timeout=120)
    assert created.status_code == 201, created.text
    scan = created.json()["scan"]
    assert scan["state"] == "SCAN_STATE_ANALYSED"
    assert scan["analysis"]["findings"]
    again = http.post(url, content=scan_upload_body(up), headers=device, timeout=120)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["scan"]["name"] == scan["name"]
    spoiled = Upload(phantom, scanner, unique("key"), (number,))
    spoiled.metadata.sha256 = "0" * 64
    bad = http.post(url, content=scan_upload_body(spoiled), headers=device, timeout=120)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"].endswith("sha256")

    analyst = bearer(suite.token("analyst:hoa", "analyst"))
    officer = bearer(suite.token("officer:nam", "officer", "supervisor"))
    listed = http.get(
        "/v1/scanners/-/scans", params={"container_number": number}, headers=analyst
    ).json()
    assert [s["name"] for s in listed["scans"]] == [scan["name"]]
    path = "/v1/" + scan["name"]
    images = http.get(f"{path}:renderings", headers=analyst).json()
    with urllib.request.urlopen(images["false_colour_url"], timeout=10) as image:
        assert image.read(8) == b"\x89PNG\r\n\x1a\n"
    assert (
        http.post(f"{path}:decide", json={"decision": "HOLD"}, headers=officer).status_code == 403
    )
    held = http.post(
        f"{path}:decide",
        json={"decision": "HOLD", "note": "steel block in textiles"},
        headers=analyst,
    )
    assert held.status_code == 200, held.text
    assert held.json()["state"] == "SCAN_STATE_HOLD"

    dossier = http.get(f"/v1/containers/{number}", headers=officer).json()
    part = dossier["scanner"]
    assert part["hold"]["open_hold"] is True
    assert part["scans"][0]["image_uri"].startswith("http")
    assert part["scans"][0]["width"] == 600 and part["scans"][0]["height"] == 256
    assert any(f["box"] for f in part["scans"][0]["findings"])
    assert dossier["risk"]["level"] == "HIGH"
    signals = {s["kind"]: s for s in dossier["risk"]["signals"]}
    assert signals["SCAN_HOLD"]["subject"] == scan["name"]
    assert "steel block in textiles" in signals["SCAN_HOLD"]["reason"]

    inspected = http.post(
        f"{path}:recordInspection",
        json={"violation_found": False, "description": "textiles only; block is a machine part"},
        headers=officer,
    )
    assert inspected.status_code == 200, inspected.text
    assert inspected.json()["state"] == "SCAN_STATE_INSPECTED"
    after = http.get(f"/v1/containers/{number}", headers=officer).json()
    assert after["scanner"]["hold"].get("open_hold", False) is False
    assert not [s for s in after["risk"]["signals"] if s["source"] == "scanner"]
