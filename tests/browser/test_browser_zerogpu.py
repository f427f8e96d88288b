"""Issue 25, part 4, in a real browser: with GANAPP_ZEROGPU=1 the served app trains in chunks (off Spaces the
``spaces`` decorator is absent, so each chunk runs on this CPU), the page is the same, and its status line gives the
GPU time the chunks used and what happens when it runs out."""

import pytest
from browsing import NEEDS_CHROMIUM, chromium, open_page, pick

from conftest import free_port

pytestmark = NEEDS_CHROMIUM

_STATUS_JS = "(parts) => { const e = document.querySelector('#ganapp-status');" \
             " return !!e && parts.every(p => e.innerText.includes(p)); }"


@pytest.fixture(scope="module")
def zerogpu_app(tmp_path_factory):
    """The real app launched as on a ZeroGPU Space (GANAPP_ZEROGPU=1), on localhost."""
    import app as app_module
    from ganapp.engine.zerogpu import ChunkedEngine
    from ganapp.gan.trainer import set_auto_device
    from ganapp.ui.layout import CSS

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANAPP_ZEROGPU", "1")
        demo = app_module.create_demo(idle_timeout_s=600, reap_every_s=0.2, poll_every_s=0.5,
                                      state_dir=tmp_path_factory.mktemp("state"))
    try:
        assert isinstance(demo.ganapp.registry.engine, ChunkedEngine)
        port = free_port()
        demo.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port,
                                                       prevent_thread_lock=True, quiet=True, css=CSS)
        yield f"http://127.0.0.1:{port}/", demo
    finally:
        demo.ganapp.registry.close(save=False)
        demo.close()
        set_auto_device(None)  # create_demo made auto mean the CPU in this process, as on a Space


def test_a_run_trains_in_chunks_and_the_status_line_counts_their_gpu_time(zerogpu_app):
    url, demo = zerogpu_app
    with chromium() as browser:
        pg = open_page(browser, url)
        pick(pg, "dataset", "ring8")
        pg.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")
        pg.click("#start")
        pg.wait_for_function(_STATUS_JS, arg=["GPU: ZeroGPU, a few seconds at a time",
                                              "GPU time runs out, training goes on on the CPU"])
        # a chunk ended: its seconds are counted, and its steps reached the page
        pg.wait_for_function("() => { const t = document.querySelector('#ganapp-status').innerText;"
                             " return t.includes('ZeroGPU') && !t.includes('· 0:00 used'); }", timeout=120_000)
        run = demo.ganapp.registry.visitor(demo.ganapp.registry.visitor_ids()[0]).run
        assert run.step_count > 0 and demo.ganapp.registry.engine.gpu_status().used_s > 0
