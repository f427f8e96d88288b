"""Sessions are freed: each fresh client (a /snapshot, an /attach, a toast, a drawing) leaves nothing behind on the
server once the idle and grace timeouts have passed, and Gradio keeps at most GANAPP_MAX_PAGES pages' state."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import free_port, wait_until

IDLE_S, GRACE_S = 3.0, 4.0


@pytest.fixture(scope="module")
def quick_app(tmp_path_factory):
    """The app served with short idle and grace timeouts and launched with the host's launch settings.

    Yields (url, demo)."""
    import app as app_module
    from ganapp.ui.layout import CSS

    demo = app_module.create_demo(idle_timeout_s=IDLE_S, grace_s=GRACE_S, reap_every_s=0.2, worker=False,
                                  state_dir=tmp_path_factory.mktemp("state"))
    port = free_port()
    demo.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port,
                                                   prevent_thread_lock=True, quiet=True, css=CSS,
                                                   **app_module.launch_settings())
    yield f"http://127.0.0.1:{port}/", demo
    demo.ganapp.registry.close(save=False)
    demo.close()


def records(demo) -> dict[str, int]:
    """What the server keeps per page or per visitor, counted."""
    from ganapp.ui import common

    registry = demo.ganapp.registry
    files = demo.ganapp.files_dir
    return {"gradio pages": len(demo.state_holder.session_data), "pages": len(registry.pages),
            "visitors": len(registry), "toasts": len(common._open_toasts),
            "file folders": sum(1 for _ in files.iterdir()) if files.exists() else 0}


def test_fresh_clients_leave_nothing_behind_after_the_timeouts(quick_app, tmp_path):
    url, demo = quick_app
    assert wait_until(lambda: not any(records(demo).values()), 30), records(demo)
    pad = np.full((60, 60, 4), 255, np.uint8)
    pad[28:32, 5:55, :3] = 0
    Image.fromarray(pad).save(tmp_path / "pad.png")
    registry = demo.ganapp.registry
    clients = [Client(url, verbose=False) for _ in range(12)]
    for i, c in enumerate(clients):
        if i % 2:
            assert c.predict(None, api_name="/attach")["found"] == "new"
        assert c.predict(api_name="/snapshot")["state"] == "none"
        with pytest.raises(AppError, match="press Start"):
            c.predict("en", api_name="/pause")  # a toast
        # each is kept while in use: its page, its visitor, Gradio's state of its page, its toast
        assert c.session_hash in registry.pages and registry.key(c.session_hash) in registry
        assert c.session_hash in demo.state_holder.session_data and records(demo)["toasts"] > 0
    sketch = {"background": None, "layers": [], "composite": handle_file(str(tmp_path / "pad.png"))}
    clients[0].predict("en", sketch, api_name="/use_drawing")  # a file of its own
    assert demo.ganapp._folder(registry.key(clients[0].session_hash)).is_dir()
    for c in clients[:6]:  # half of them close (their unload comes), half just go quiet
        c.close()
    assert wait_until(lambda: not any(records(demo).values()), 60), records(demo)
    for c in clients[6:]:
        c.close()


def test_the_host_sets_how_many_pages_gradio_keeps(quick_app, monkeypatch):
    import app as app_module

    _, demo = quick_app
    assert demo.state_session_capacity == app_module.MAX_PAGES == 500
    monkeypatch.setenv("GANAPP_MAX_PAGES", "40")
    assert app_module.launch_settings()["state_session_capacity"] == 40
    for bad in ("0", "2.5", "many"):
        monkeypatch.setenv("GANAPP_MAX_PAGES", bad)
        with pytest.raises(SystemExit, match="GANAPP_MAX_PAGES"):
            app_module.launch_settings()
