"""Loading the forecasting and CLV code imports none of the heavy libraries (code-load time)."""

import subprocess
import sys


def test_forecasting_and_clv_modules_import_no_heavy_library():
    code = (
        "import sys, rfm_assets.core.clv, rfm_assets.core.clv_holdout, rfm_assets.core.forecasting, "
        "rfm_assets.core.plots; "
        "print(sorted(m for m in ('lifetimes', 'statsforecast', 'matplotlib', 'scipy.special') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
