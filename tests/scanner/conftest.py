import pytest

from services.scanner.domain.phantoms import Phantom, PhantomKind, make_phantom


@pytest.fixture(scope="session")
def phantoms() -> dict[PhantomKind, Phantom]:
    return {kind: make_phantom(kind, rows=256, cols=600, seed=3) for kind in PhantomKind}
