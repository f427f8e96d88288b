"""What the browser tests share: where chromium is, how it is launched, the skip without it, and how a person picks
a menu's value (tests import it as ``from browsing import ...``)."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GANAPP_CHROMIUM", "/usr/bin/chromium")
NEEDS_CHROMIUM = pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                                    reason="chromium is not installed (apt-get install chromium)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pick(page, elem_id: str, value: str) -> None:
    """Type ``value`` into the menu ``#elem_id`` and press Enter, as a person does; returns once the menu shows it."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(value)
    page.keyboard.press("Enter")
    page.wait_for_function("([id, v]) => document.querySelector(`#${id} input`).value === v", arg=[elem_id, value])
