"""A name typed as the page opens reaches the visitor the page attaches to, whichever of the two requests the server
handles first, and however they interleave (issue 23, item 7)."""

import threading

import pytest

from conftest import wait_until
from ganapp.host.autosave import StateStore
from ganapp.host.registry import Registry
from ganapp.ui.handlers import GanApp
from ganapp.ui.handlers import PAGE_FIELDS


def req(name):
    from types import SimpleNamespace

    return SimpleNamespace(session_hash=name)


@pytest.fixture
def app(tmp_path):
    registry = Registry(idle_timeout_s=60, store=StateStore(tmp_path / "state"))
    yield GanApp(registry, tmp_path / "files")
    registry.close(save=False)


def _attach(app, page):
    return app.attach(req(page), "en", None, *[None] * len(PAGE_FIELDS))


def test_a_name_sent_before_the_page_attaches_reaches_its_visitor(app):
    assert app.set_name(req("page"), "en", "Ada") == "Ada"
    token = _attach(app, "page")[0]
    vid = app.registry.store.verify(token)
    assert app.registry.visitor(vid).state.name == "Ada" and "page" not in app.registry


def test_a_name_sent_while_the_page_attaches_reaches_its_visitor(app, monkeypatch):
    """set_name looks up the page's visitor before the page is bound to its token's visitor, and writes the name
    after the attach has taken over what the page did before: the name must not land on a record nobody reads."""
    registry = app.registry
    naming = threading.Event()
    attach_done, attach_waits = threading.Event(), threading.Event()
    real_visitor = registry.visitor

    def visitor(key):
        if threading.current_thread() is namer and key == "page":
            naming.set()  # the name's request has its (unbound) key: let the attach run now
            assert wait_until(lambda: attach_done.is_set() or attach_waits.is_set(), 20)
        return real_visitor(key)

    lock = getattr(registry, "_attach_lock", None)
    if lock is not None:  # the attach may wait for the name's request to finish: note when it does

        class Watched:
            def __enter__(self):
                if threading.current_thread() is not namer and lock.locked():
                    attach_waits.set()
                lock.acquire()

            def __exit__(self, *exc):
                lock.release()

        monkeypatch.setattr(registry, "_attach_lock", Watched())
    monkeypatch.setattr(registry, "visitor", visitor)
    namer = threading.Thread(target=app.set_name, args=(req("page"), "en", "Ada"))
    namer.start()
    assert naming.wait(20)
    token = _attach(app, "page")[0]
    attach_done.set()
    namer.join(20)
    vid = registry.store.verify(token)
    assert real_visitor(vid).state.name == "Ada"
    assert "page" not in registry  # no stray record holds it


def test_a_name_typed_now_wins_over_one_kept_from_an_earlier_visit(app):
    token = _attach(app, "first")[0]
    app.set_name(req("first"), "en", "Ada")
    app.set_name(req("second"), "en", "Ada L.")  # a new tab: the name typed before it attached
    out = app.attach(req("second"), "en", token, *[None] * len(PAGE_FIELDS))
    assert out[-1] == "Ada L." and app.registry.visitor(app.registry.store.verify(token)).state.name == "Ada L."


def test_attaching_leaves_the_name_box_alone_when_the_visitor_has_no_name(app):
    """The page's name box keeps what was typed while the page attached: attach sends a name only when the
    visitor has one."""
    import gradio as gr

    assert _attach(app, "page")[-1] == gr.skip()
