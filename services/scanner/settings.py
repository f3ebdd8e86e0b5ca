"""Configuration of the scanner service, read once from the environment at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.platform.config import positive_float, positive_int, read


def _fraction(raw: str) -> float:
    value = float(raw)
    if not 0.0 < value <= 1.0:
        raise ValueError("must be in (0, 1]")
    return value


@dataclass(frozen=True, slots=True)
class ScannerSettings:
    """Variables of the scanner service (see the README's configuration table)."""

    #: SCANNER_MAX_SCAN_BYTES: largest raw payload (both planes) an upload may announce.
    max_scan_bytes: int
    #: SCANNER_MAX_CONCURRENT_UPLOADS: uploads buffered at once (each holds its payload in
    #: memory); more wait, with gRPC flow control holding their senders back.
    max_concurrent_uploads: int
    #: SCANNER_ALERT_RISK: analysed scans with a risk at or above this raise SCAN_HIGH_RISK.
    alert_risk: float
    #: SCANNER_URL_TTL_SECONDS: validity of the presigned rendering URLs.
    url_ttl_seconds: float
    #: SCANNER_ORPHAN_GRACE_SECONDS: age after which a raw object still without its scan
    #: record (its upload's process died in between) is removed.
    orphan_grace_seconds: float
    #: SCANNER_ORPHAN_SWEEP_SECONDS: how often such objects are looked for.
    orphan_sweep_seconds: float

    @staticmethod
    def from_env(env: Mapping[str, str]) -> ScannerSettings:
        return ScannerSettings(
            max_scan_bytes=read(env, "SCANNER_MAX_SCAN_BYTES", positive_int, 256 * 1024 * 1024),
            max_concurrent_uploads=read(env, "SCANNER_MAX_CONCURRENT_UPLOADS", positive_int, 4),
            alert_risk=read(env, "SCANNER_ALERT_RISK", _fraction, 0.5),
            url_ttl_seconds=read(env, "SCANNER_URL_TTL_SECONDS", positive_float, 600.0),
            orphan_grace_seconds=read(env, "SCANNER_ORPHAN_GRACE_SECONDS", positive_float, 600.0),
            orphan_sweep_seconds=read(env, "SCANNER_ORPHAN_SWEEP_SECONDS", positive_float, 60.0),
        )
