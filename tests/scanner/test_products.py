"""Derived products of an analysis: the stored document is plain BSON, the overlay and the
regions JSON show the findings where the phantom's objects are."""

import io
import json

import bson
import numpy as np
from PIL import Image

from services.scanner.domain import Declaration, GoodsCategory, GoodsLine, analyse
from services.scanner.domain.model import Bounds
from services.scanner.domain.phantoms import Phantom, PhantomKind
from services.scanner.products import THUMBNAIL_SIDE, analysis_document, make_products

MACHINERY = (GoodsLine("8429", "excavator parts", GoodsCategory.MACHINERY),)


def test_document_and_products(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.HEAVY_METAL]
    a = analyse(ph.scan, Declaration(MACHINERY, ph.cargo_mass_kg), ph.geometry)
    doc = analysis_document(a, 12.5)
    assert bson.decode(bson.encode(doc)) == doc  # only plain BSON types
    assert doc["findings"][0]["rule"] == "HEAVY_METAL" and doc["analysis_ms"] == 12.5
    products = make_products(a, doc, "scanners/x/scans/y").blobs
    full = Image.open(io.BytesIO(products["false_colour"]))
    assert full.size == (ph.scan.low.shape[1], ph.scan.low.shape[0]) and full.mode == "RGB"
    small = Image.open(io.BytesIO(products["overlay"]))
    assert max(small.size) <= THUMBNAIL_SIDE
    assert Image.open(io.BytesIO(products["thumbnail"])).size == small.size
    regions = json.loads(products["regions"])
    boxes = [Bounds(**r["box"]) for f in regions["findings"] for r in f["evidence"]]
    assert any(b.overlaps(ph.objects[0].bbox) for b in boxes)
    # the overlay differs from the thumbnail only by the outlines (red where a finding is)
    thumb = np.asarray(Image.open(io.BytesIO(products["thumbnail"])).convert("RGB"))
    over = np.asarray(small.convert("RGB"))
    drawn = over[(over != thumb).any(axis=2)]
    assert len(drawn) and ((drawn == (230, 20, 20)).all(axis=1)).any()
