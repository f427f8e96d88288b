"""What the browser tests share: where chromium is, how it is launched and a page opened, the skip without it, and
how a person picks a menu's value, and a drawing pad made slow on purpose (tests import it as ``from browsing
import ...``)."""

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("GANAPP_CHROMIUM", "/usr/bin/chromium")
NEEDS_CHROMIUM = pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                                    reason="chromium is not installed (apt-get install chromium)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

PAD_LATE_MS = 5000  # the pad gets an active layer this long after its canvas shows: longer than drawing takes here

# evaluated with [the pad's selector, PAD_LATE_MS]: Gradio's image editor (it sets window.editor as it is built) has
# no active layer until PAD_LATE_MS after its canvas shows: a pad on screen that ignores strokes, the race of issue 23
# (a first stroke within ~1.5 s of opening was lost), driven on purpose
SLOW_PAD_JS = """([pad, ms]) => { let shown = null, wrapped = null;
  const watch = () => {  // the editor builds its layers as it opens: wrap them as soon as they are there
    const layers = window.editor && window.editor.layer_manager;
    if (layers && layers !== wrapped && typeof layers.get_active_layer === 'function') {
      const active = layers.get_active_layer.bind(layers);
      layers.get_active_layer = () => (shown === null || performance.now() - shown < ms ? null : active());
      wrapped = layers;
    }
    const c = document.querySelector(pad + ' canvas');
    if (shown === null && c && c.getBoundingClientRect().height > 100) shown = performance.now();
    if (shown === null || performance.now() - shown < ms) requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch); }"""


def pick(page, elem_id: str, value: str) -> None:
    """Type ``value`` into the menu ``#elem_id`` and press Enter, as a person does; returns once the menu shows it."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(value)
    page.keyboard.press("Enter")
    page.wait_for_function("([id, v]) => document.querySelector(`#${id} input`).value === v", arg=[elem_id, value])


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless chromium launched with :data:`ARGS`, closed after the block (playwright's ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, width: int = 1366, height: int = 768, locale: str = "en-US",
              timeout_ms: int = 60_000, ready: str | None = "#start") -> Any:
    """A page in a new context of ``browser`` (its own storage, as a new visitor's) at ``url``, once ``ready`` (a
    selector; None: at once) is on it; playwright waits ``timeout_ms`` at most for anything on it."""
    page = browser.new_context(viewport={"width": width, "height": height}, locale=locale).new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url)
    if ready is not None:
        page.wait_for_selector(ready)
    return page
