"""``python -m services.scanner``: runs the scanner service."""

from services.platform.server import main
from services.scanner.service import SPEC

main(SPEC)
