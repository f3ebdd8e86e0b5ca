"""``python -m services.camera``: runs the camera service."""

from services.camera.service import SPEC
from services.platform.server import main

main(SPEC)
