import numpy as np

from services.scanner.domain.calibration import calibrate, row_calibration
from services.scanner.domain.classes import classify
from services.scanner.domain.front import ROWS_PER_BLOCK, run_front
from services.scanner.domain.params import AnalysisParameters
from services.scanner.domain.phantoms import Phantom, PhantomKind
from services.scanner.domain.render import render
from services.scanner.domain.smoothing import row_tolerance, smooth
from services.scanner.domain.structure import profiles_reference


def test_fused_pass_equals_the_steps(phantoms: dict[PhantomKind, Phantom]) -> None:
    p = AnalysisParameters()
    for ph in (phantoms[PhantomKind.STEEL_IN_ORGANIC], phantoms[PhantomKind.HEAVY_METAL]):
        s = ph.scan
        h = s.low.shape[0]
        assert h % ROWS_PER_BLOCK != 1  # blocks and their borders are exercised
        fused = run_front(
            s.low, s.high,
            row_calibration(s.dark_low, s.air_low, h, p.calibration, "low"),
            row_calibration(s.dark_high, s.air_high, h, p.calibration, "high"),
            row_tolerance(s.dark_low, s.air_low, h, p.smoothing),
            row_tolerance(s.dark_high, s.air_high, h, p.smoothing),
            p,
        )  # fmt: skip
        sl = smooth(calibrate(s.low, s.dark_low, s.air_low), s.dark_low, s.air_low)
        sh = smooth(calibrate(s.high, s.dark_high, s.air_high), s.dark_high, s.air_high)
        cls = classify(sl, sh)
        np.testing.assert_array_equal(fused.mu_high, sh)
        np.testing.assert_array_equal(fused.classes, cls)
        np.testing.assert_array_equal(fused.rgb, render(cls, sh))
        want = profiles_reference(sh, p.structure)
        for name in ("row_container", "row_wall", "col_container", "col_wall"):
            got = getattr(fused.profiles, name)
            np.testing.assert_array_equal(got, getattr(want, name), err_msg=name)
