"""``python -m services.seal``: runs the seal service."""

from services.platform.server import main
from services.seal.service import SPEC

main(SPEC)
