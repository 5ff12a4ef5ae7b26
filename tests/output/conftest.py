"""The real browser the page tests drive: headless Chromium (Debian's, installed by
scripts/install_test_tools.sh), launched by playwright from the system; nothing is downloaded. A missing
browser or playwright fails the test that needs it, saying how to install them (no skip)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

INSTALL = ("install the browser the tests drive: sh scripts/install_test_tools.sh (as root: apt-get install -y "
           "chromium), and playwright: pip install -e '.[dev]'")


def chromium_path() -> str:
    """The system Chromium: $ARCHCALC_CHROMIUM, else chromium on the PATH, else /usr/bin/chromium."""
    found = os.environ.get("ARCHCALC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.fail(f"no Chromium at {found}: {INSTALL}")
    return found


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"playwright is not installed: {INSTALL}")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield chromium
        chromium.close()
