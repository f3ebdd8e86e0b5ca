"""Pure domain of the scanner service: dual-energy scan analysis (no I/O)."""

from .errors import DomainValidationError, IllegalTransition
from .model import (
    PIPELINE_VERSION,
    RULES_VERSION,
    Analysis,
    Bounds,
    ContainerStructure,
    Declaration,
    Finding,
    GoodsCategory,
    GoodsLine,
    Material,
    RawScan,
    Region,
    RegionKind,
    Rule,
    ScannerGeometry,
)
from .params import AnalysisParameters
from .pipeline import analyse, analyse_reference, warm_up
from .render import encode_png, thumbnail

__all__ = [
    "PIPELINE_VERSION",
    "RULES_VERSION",
    "Analysis",
    "AnalysisParameters",
    "Bounds",
    "ContainerStructure",
    "Declaration",
    "DomainValidationError",
    "Finding",
    "GoodsCategory",
    "GoodsLine",
    "IllegalTransition",
    "Material",
    "RawScan",
    "Region",
    "RegionKind",
    "Rule",
    "ScannerGeometry",
    "analyse",
    "analyse_reference",
    "encode_png",
    "thumbnail",
    "warm_up",
]
