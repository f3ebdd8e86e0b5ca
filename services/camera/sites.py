"""Controlled sites (ports, depots, airports, border gates): validation of a new site."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from services.platform.errors import FieldViolation, collect
from services.platform.mongo import utcnow
from services.platform.names import check_id

KINDS = ("SEAPORT", "INLAND_DEPOT", "LAND_BORDER", "AIRPORT")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class NewSite:
    site_id: str
    display_name: str
    kind: str
    latitude: float
    longitude: float
    has_location: bool
    country_code: str


def register(req: NewSite) -> dict[str, Any]:
    """The stored document of a new site."""
    check_id("site_id", req.site_id)
    problems: list[FieldViolation] = []
    if not req.display_name.strip():
        problems.append(FieldViolation("site.display_name", "is required"))
    if req.kind not in KINDS:
        problems.append(FieldViolation("site.kind", f"must be one of {', '.join(KINDS)}"))
    if not req.has_location:
        problems.append(FieldViolation("site.location", "is required"))
    else:
        if not -90.0 <= req.latitude <= 90.0:
            problems.append(FieldViolation("site.location.latitude", "must be in [-90, 90]"))
        if not -180.0 <= req.longitude <= 180.0:
            problems.append(FieldViolation("site.location.longitude", "must be in [-180, 180]"))
    if not _COUNTRY.match(req.country_code):
        problems.append(
            FieldViolation("site.country_code", "must be an ISO 3166-1 alpha-2 code, e.g. VN")
        )
    collect(problems)
    return {
        "name": f"sites/{req.site_id}",
        "display_name": req.display_name.strip(),
        "kind": req.kind,
        "location": [req.latitude, req.longitude],
        "country_code": req.country_code,
        "create_time": utcnow(),
    }
