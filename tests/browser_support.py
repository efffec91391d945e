"""What every browser test module shares besides its fixtures (those are in tests/conftest.py).

``pytestmark = BROWSER`` marks a module's tests as browser tests and skips them, with the reason,
where chromium or Playwright is missing (`.ci/run` installs chromium).
"""

import importlib.util
import os

import pytest

from dashboards.serve import CHROMIUM

BROWSER = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs chromium at /usr/bin/chromium"),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is in the dev extra"
    ),
    pytest.mark.browser,
]
