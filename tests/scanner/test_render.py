import io

import numpy as np
import pytest
from PIL import Image

from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.model import Material
from services.scanner.domain.render import (
    PALETTE,
    encode_png,
    render,
    render_reference,
    thumbnail,
)


def agree(cls: np.ndarray, mu: np.ndarray) -> np.ndarray:
    got = render(cls, mu)
    assert got.dtype == np.uint8 and got.shape == (*mu.shape, 3)
    np.testing.assert_array_equal(got, render_reference(cls, mu))
    return got


def test_random_agrees_with_reference() -> None:
    rng = np.random.default_rng(6)
    cls = rng.integers(0, 16, (33, 45), dtype=np.uint8)
    agree(cls, (rng.random((33, 45)) * 12).astype(np.float32))


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (3, 0)])
def test_empty_and_one_pixel(shape: tuple[int, int]) -> None:
    agree(np.ones(shape, np.uint8), np.ones(shape, np.float32))


def test_colour_convention() -> None:
    cls = np.array([[m.value for m in Material]], np.uint8)
    rgb = agree(cls, np.zeros(cls.shape, np.float32))[0]
    assert tuple(rgb[Material.BACKGROUND]) == (255, 255, 255)
    r, g, b = (int(x) for x in rgb[Material.ORGANIC])
    assert r > g > b  # orange
    r, g, b = (int(x) for x in rgb[Material.INORGANIC])
    assert g > r and g > b  # green
    r, g, b = (int(x) for x in rgb[Material.HEAVY_METAL])
    assert b > r and b > g  # blue
    assert tuple(rgb[Material.IMPENETRABLE]) == (0, 0, 0)


def test_brightness_falls_with_attenuation() -> None:
    cls = np.full((1, 3), Material.ORGANIC, np.uint8)
    rgb = agree(cls, np.array([[0.0, 4.0, 20.0]], np.float32))[0]
    assert rgb[0, 0] > rgb[1, 0] > rgb[2, 0] > 0
    assert abs(int(rgb[2, 0]) - int(PALETTE[1, 0]) * 0.2) <= 1


def test_thumbnail_and_png_round_trip() -> None:
    rgb = np.random.default_rng(7).integers(0, 256, (100, 260, 3), dtype=np.uint8)
    th = thumbnail(rgb, max_side=64)
    assert th.dtype == np.uint8 and max(th.shape[:2]) <= 64 and th.shape[2] == 3
    assert np.allclose(th.mean(), rgb[: th.shape[0] * 5, : th.shape[1] * 5].mean(), atol=1)
    png = encode_png(rgb)
    back = np.asarray(Image.open(io.BytesIO(png)))
    np.testing.assert_array_equal(back, rgb)


def test_render_and_png_validate_arguments() -> None:
    with pytest.raises(DomainValidationError) as e:
        render(np.zeros((2, 2), np.int32), np.zeros((2, 2), np.float32))  # type: ignore[arg-type]
    assert e.value.field == "classes"
    with pytest.raises(DomainValidationError) as e:
        encode_png(np.zeros((2, 2, 4), np.uint8))
    assert e.value.field == "rgb"
    with pytest.raises(DomainValidationError) as e:
        thumbnail(np.zeros((2, 2, 3), np.uint8), max_side=0)
    assert e.value.field == "max_side"
