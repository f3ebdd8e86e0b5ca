"""``python -m services.dutylog``: runs the duty log service."""

from services.dutylog.service import SPEC
from services.platform.server import main

main(SPEC)
