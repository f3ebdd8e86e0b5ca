"""Step 7: false-colour rendering (H x W x 3 uint8), thumbnails and PNG encoding.

Usual convention: organic orange, mixed yellow-green, inorganic green, heavy metal blue,
impenetrable black, background white; brightness falls linearly with high-energy attenuation
from 1 (mu = 0) to 0.2 (mu >= DISPLAY_MU_MAX), in 8-bit fixed point.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from numba import njit, prange
from PIL import Image

from services.platform.jit import KERNEL, PARALLEL_KERNEL

from .classes import MATERIAL_MASK
from .errors import DomainValidationError
from .model import F32Array, I32Array, U8Array
from .validation import require_array, require_same_shape

DISPLAY_MU_MAX: float = 8.0

#: RGB per Material value (indices 6 and 7 are never produced).
PALETTE: U8Array = np.array(
    [
        (255, 255, 255),  # background / air
        (255, 150, 40),  # organic
        (190, 200, 50),  # mixed
        (40, 185, 70),  # inorganic
        (50, 90, 230),  # heavy metal
        (0, 0, 0),  # impenetrable
        (255, 0, 255),
        (255, 0, 255),
    ],
    dtype=np.uint8,
)


PALETTE_I32: I32Array = PALETTE.astype(np.int32)
#: Brightness is (256 - int(min(mu / DISPLAY_MU_MAX, 1) * DIM)) / 256, i.e. 1 down to 0.2.
DIM: np.float32 = np.float32(204.8)


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _pick(k: Any, p0: Any, p1: Any, p2: Any, p3: Any, p4: Any, p5: Any) -> Any:
    v = p5
    v = p4 if k == 4 else v
    v = p3 if k == 3 else v
    v = p2 if k == 2 else v
    v = p1 if k == 1 else v
    return p0 if k == 0 else v


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _render_row(cls: Any, sh: Any, pal: Any, inv_max: Any, out: Any) -> None:
    # palette entries as locals (select chains vectorise, table gathers do not); classes 6 and 7
    # never occur (class bytes hold 0..5) and would draw as IMPENETRABLE
    r0, r1, r2, r3, r4, r5 = pal[0, 0], pal[1, 0], pal[2, 0], pal[3, 0], pal[4, 0], pal[5, 0]
    g0, g1, g2, g3, g4, g5 = pal[0, 1], pal[1, 1], pal[2, 1], pal[3, 1], pal[4, 1], pal[5, 1]
    b0, b1, b2, b3, b4, b5 = pal[0, 2], pal[1, 2], pal[2, 2], pal[3, 2], pal[4, 2], pal[5, 2]
    n = sh.shape[0]
    flat = out.reshape(n * 3)
    one = np.float32(1.0)
    for c in range(n):
        k = cls[c] & 7
        mult = np.int32(256) - np.int32(min(sh[c] * inv_max, one) * DIM)
        flat[3 * c] = np.uint8((_pick(k, r0, r1, r2, r3, r4, r5) * mult) >> 8)
        flat[3 * c + 1] = np.uint8((_pick(k, g0, g1, g2, g3, g4, g5) * mult) >> 8)
        flat[3 * c + 2] = np.uint8((_pick(k, b0, b1, b2, b3, b4, b5) * mult) >> 8)


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _render_plane(cls: Any, sh: Any, pal: Any, inv_max: Any, out: Any) -> None:
    for r in prange(sh.shape[0]):
        _render_row(cls[r], sh[r], pal, inv_max, out[r])


def render(classes: U8Array, mu_high: F32Array) -> U8Array:
    """False-colour H x W x 3 uint8 image from the class image and smoothed mu_high."""
    cls = require_array(classes, "classes", np.uint8, 2)
    sh = require_array(mu_high, "mu_high", np.float32, 2)
    require_same_shape(cls, sh, "mu_high")
    out = np.empty((*sh.shape, 3), np.uint8)
    if sh.size:
        _render_plane(
            np.ascontiguousarray(cls),
            np.ascontiguousarray(sh),
            PALETTE_I32,
            np.float32(1.0 / DISPLAY_MU_MAX),
            out,
        )
    return out


def render_reference(classes: U8Array, mu_high: F32Array) -> U8Array:
    """Plain NumPy reference of :func:`render`."""
    cls = require_array(classes, "classes", np.uint8, 2)
    sh = require_array(mu_high, "mu_high", np.float32, 2)
    require_same_shape(cls, sh, "mu_high")
    f = np.minimum(sh * np.float32(1.0 / DISPLAY_MU_MAX), np.float32(1.0))
    mult = 256 - (f * DIM).astype(np.int32)
    k = np.minimum(cls & MATERIAL_MASK, 5)
    rgb = (PALETTE_I32[k] * mult[..., None]) >> 8
    out: U8Array = rgb.astype(np.uint8)
    return out


def thumbnail(rgb: U8Array, max_side: int = 512) -> U8Array:
    """Area-mean downscale by an integer factor so the longer side is at most ``max_side``."""
    img = require_array(rgb, "rgb", np.uint8, 3)
    if img.shape[2] != 3:
        raise DomainValidationError("rgb", f"last axis must be 3 (RGB), got {img.shape[2]}")
    if max_side < 1:
        raise DomainValidationError("max_side", "must be >= 1")
    h, w = img.shape[:2]
    f = max(1, -(-max(h, w) // max_side))
    hh, ww = h // f, w // f
    if hh == 0 or ww == 0:
        return img[::f, ::f].copy()
    blocks = img[: hh * f, : ww * f].reshape(hh, f, ww, f, 3).astype(np.float32)
    small: U8Array = blocks.mean(axis=(1, 3)).round().astype(np.uint8)
    return small


def encode_png(rgb: U8Array, compress_level: int = 1) -> bytes:
    """PNG bytes of an H x W x 3 uint8 image (Pillow); level 1 favours speed."""
    img = require_array(rgb, "rgb", np.uint8, 3)
    if img.shape[2] != 3:
        raise DomainValidationError("rgb", f"last axis must be 3 (RGB), got {img.shape[2]}")
    if not 0 <= compress_level <= 9:
        raise DomainValidationError("compress_level", "must be in 0..9")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(img)).save(
        buf, format="PNG", compress_level=compress_level
    )
    return buf.getvalue()
