"""Autosaves and visitor tokens: a run goes on after a restart exactly where it was, a write killed half-way leaves
the previous autosave, a forged token reaches nobody's run, and idle runs pause, leave memory and come back."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from conftest import ROOT, tiny_2d, tiny_image, wait_until
from ganapp.host.autosave import AutosaveError, StateStore
from ganapp.host.visitors import PageView
from ganapp.host.registry import NEW, REATTACHED, RESTORE_FAILED, RESTORED, Registry
from ganapp.run.run import PAUSED, RUNNING, Run


def _trained(config, steps: int) -> Run:
    session = Run(config)
    session.step(steps)
    assert wait_until(lambda: session.state == PAUSED and session.snapshot(None).step == steps, 30)
    return session


@pytest.mark.parametrize("config", [tiny_2d(), tiny_image(g_ema=0.9, r1_gamma=1.0, r1_every=4)],
                         ids=["ring8_mlp", "mnist_dcgan_ema_r1"])
def test_a_restored_run_goes_on_exactly_where_it_was_saved(config, tmp_path):
    session = _trained(config, 60)
    store = StateStore(tmp_path)
    vid = store.verify(store.new_token())
    store.write(vid, "a", *session.autosave_state())
    restored = Run.from_autosave(*store.read(vid, "a"))
    snap, snap_r = session.snapshot(0), restored.snapshot(0)
    assert restored.state == PAUSED and snap_r.step == 60 and snap_r.elapsed_s == pytest.approx(snap.elapsed_s)
    assert snap_r.metrics == snap.metrics  # the curves, row for row
    assert [s for s, _ in restored.g_snapshots()] == [s for s, _ in session.g_snapshots()]
    # the time-lapse is drawn again from the snapshots: a frame for each (the saved run's own frames were published
    # by time, so their count depends on the machine's speed)
    assert len(restored.g_snapshots()) >= 1 and len(restored.frames()) >= len(restored.g_snapshots())
    for (_, g), (_, g_r) in zip(session.g_snapshots(), restored.g_snapshots()):
        for a, b in zip(g.state_dict().values(), g_r.state_dict().values()):
            assert torch.equal(a, b)
    # the next step is the one the saved run would have taken: same weights, Adam moments, data order and RNG
    assert torch.equal(session.trainer.train_step(), restored.trainer.train_step())
    for a, b in zip(session.trainer.G.parameters(), restored.trainer.G.parameters()):
        assert torch.equal(a, b)
    restored.resume()
    assert wait_until(lambda: restored.snapshot(None).step > 70, 30)
    restored.stop()
    session.stop()


def test_tokens_are_signed_and_folders_never_name_the_id(tmp_path):
    store = StateStore(tmp_path)
    token = store.new_token()
    vid = store.verify(token)
    assert vid is not None and len(vid) == 32 and vid not in str(store.folder(vid))
    assert StateStore(tmp_path).verify(token) == vid  # the secret outlives a restart
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0  # only the server's user reads it
    forged = [token[:-1] + ("A" if token[-1] != "A" else "B"), vid, vid + "." + "A" * 43, "../../etc/passwd",
              None, 42, {"token": token}, StateStore(tmp_path / "other").new_token()]
    assert all(store.verify(f) is None for f in forged)


def test_a_write_killed_half_way_leaves_the_previous_autosave_loadable(tmp_path):
    store = StateStore(tmp_path)
    vid = store.verify(store.new_token())
    store.write(vid, "a", {"x": torch.zeros(3)}, {"step": 1})
    writer = f"""
import sys, torch
sys.path.insert(0, {str(ROOT)!r})
from ganapp.host.autosave import StateStore
store = StateStore({str(tmp_path)!r})
big = {{"x": torch.ones(64 * 1024 * 1024)}}  # 256 MB: the write takes a while
while True:
    store.write({vid!r}, "a", big, {{"step": 2}})
"""
    proc = subprocess.Popen([sys.executable, "-c", writer])
    try:
        folder = store.folder(vid)
        assert wait_until(lambda: any(p.name.endswith(".tmp") and p.stat().st_size > 0 for p in folder.iterdir()),
                          60, 0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    tensors, meta = store.read(vid, "a")  # whichever whole file the rename left: never half of one
    assert (meta, tensors["x"].numel()) in (({"step": 1}, 3), ({"step": 2}, 64 * 1024 * 1024))
    StateStore(tmp_path)  # a restart clears what the killed write left behind
    assert [p.name for p in store.folder(vid).iterdir()] == ["a.safetensors"]


def test_a_file_that_is_not_an_autosave_is_refused(tmp_path):
    store = StateStore(tmp_path)
    vid = store.verify(store.new_token())
    with pytest.raises(AutosaveError) as e:
        store.read(vid, "a")
    assert e.value.reason == "missing"
    store.path(vid, "a").parent.mkdir(parents=True)
    store.path(vid, "a").write_bytes(b"not safetensors")
    with pytest.raises(AutosaveError) as e:
        store.read(vid, "a")
    assert e.value.reason == "not_safetensors"


def _registry(tmp_path, **kwargs) -> Registry:
    return Registry(store=StateStore(tmp_path), **kwargs)


def test_a_closed_pages_run_trains_on_and_a_reload_reattaches(tmp_path):
    reg = _registry(tmp_path)
    token, found = reg.attach("page-1", None)
    assert found == NEW and token
    vid = reg.key("page-1")
    session = reg.new_run(vid, tiny_2d())
    session.start()
    reg.detach("page-1")  # the page closed: the run is not stopped
    step = session.snapshot(None).step
    assert wait_until(lambda: session.snapshot(None).step > step + 20, 10) and session.state == RUNNING
    token_2, found = reg.attach("page-2", token)
    assert (token_2, found, reg.key("page-2")) == (token, REATTACHED, vid)
    assert reg.visitor(reg.key("page-2")).run is session
    reg.close(save=False)


def test_a_forged_or_foreign_token_gets_a_fresh_visitor_not_someone_elses_run(tmp_path):
    reg = _registry(tmp_path)
    token, _ = reg.attach("alice", None)
    reg.new_run(reg.key("alice"), tiny_2d()).step(5)
    for i, forged in enumerate([token[:-2] + "xx", token.split(".")[0], "../" + token, None,
                                StateStore(tmp_path / "elsewhere").new_token()]):
        new_token, found = reg.attach(f"mallory-{i}", forged)
        assert found == NEW and new_token != token and reg.key(f"mallory-{i}") != reg.key("alice")
        assert reg.visitor(reg.key(f"mallory-{i}")).run is None
    reg.close(save=False)


def test_an_idle_run_pauses_autosaves_leaves_memory_and_comes_back_paused(tmp_path):
    reg = _registry(tmp_path, idle_timeout_s=0.3, grace_s=60)
    token, _ = reg.attach("page", None)
    vid = reg.key("page")
    session = reg.new_run(vid, tiny_2d())
    session.start()
    assert wait_until(lambda: session.snapshot(None).step > 30, 10)
    time.sleep(0.4)
    assert reg.reap() == [vid] and vid not in reg and session.state == "stopped"
    assert reg.store.has(vid, "a")
    saved_step = session.trainer.step_count
    token_2, found = reg.attach("page-again", token)
    restored = reg.visitor(vid).run
    assert found == RESTORED and token_2 == token and restored is not session
    assert restored.state == PAUSED and restored.trainer.step_count == saved_step
    assert len(restored.history()["step"]) > 0
    restored.resume()
    assert wait_until(lambda: restored.snapshot(None).step > saved_step + 10, 10)
    reg.close(save=False)


def test_autosaves_come_once_a_period_while_training_and_once_after_a_pause(tmp_path):
    reg = _registry(tmp_path, autosave_every_s=600)  # a period that no save on a busy machine outlasts
    reg.attach("page", None)
    vid = reg.key("page")
    session = reg.new_run(vid, tiny_2d())
    session.start()
    assert wait_until(lambda: session.snapshot(None).step > 10, 10)
    assert reg.autosave(vid) == []  # not yet a period since the run began
    key, since = reg.visitor(vid).saved["a"]
    reg.visitor(vid).saved["a"] = (key, since - 600)  # a period later (the clock is the state under test)
    assert reg.autosave(vid) == ["a"] and reg.autosave(vid) == []  # then not again for another period
    session.pause()
    assert wait_until(lambda: reg.autosave(vid) == ["a"], 5)  # a paused run is saved at once ...
    assert reg.autosave(vid) == []  # ... and once
    _, meta = reg.store.read(vid, "a")
    assert meta["trainer"]["step_count"] == session.trainer.step_count
    reg.close(save=False)


def test_run_b_is_saved_and_restored_beside_run_a_and_dropping_it_deletes_its_file(tmp_path):
    reg = _registry(tmp_path, idle_timeout_s=0.2, grace_s=60)
    token, _ = reg.attach("page", None)
    vid = reg.key("page")
    reg.new_run(vid, tiny_2d()).step(7)
    reg.new_run_b(vid, tiny_2d(loss="hinge")).step(9)
    assert wait_until(lambda: all(s.state == PAUSED for s in reg.visitor(vid).runs().values()), 10)
    assert sorted(reg.autosave(vid)) == ["a", "b"]
    time.sleep(0.3)
    reg.reap()
    reg.attach("page-2", token)
    v = reg.visitor(vid)
    assert (v.run.trainer.step_count, v.run_b.trainer.step_count, v.run_b.config.loss) == (7, 9, "hinge")
    reg.drop_run_b(vid)
    assert not reg.store.has(vid, "b") and reg.store.has(vid, "a")
    reg.remove(vid)  # a freed visitor's files go with them
    assert not reg.store.folder(vid).exists()
    reg.close(save=False)


def test_an_autosave_that_cannot_be_restored_starts_the_visitor_afresh(tmp_path):
    reg = _registry(tmp_path)
    token, _ = reg.attach("page", None)
    vid = reg.key("page")
    reg.store.write(vid, "a", {"x": torch.zeros(1)}, {"config": {"dataset": "no-such-data"}})
    reg.close(save=False)
    reg = _registry(tmp_path)
    _, found = reg.attach("page-2", token)
    assert found == RESTORE_FAILED and reg.visitor(vid).run is None
    reg.close(save=False)


def test_old_autosaves_are_swept_and_the_folder_keeps_under_its_cap(tmp_path):
    store = StateStore(tmp_path, max_bytes=2500)
    ids = [store.verify(store.new_token()) for _ in range(4)]
    now = time.time()
    for age_days, vid in zip((10, 3, 2, 1), ids):
        store.write(vid, "a", {"x": torch.zeros(250)}, {})  # ~1 KB each
        os.utime(store.path(vid, "a"), (now - age_days * 86400,) * 2)
    assert store.sweep(7 * 86400) == [store.folder(ids[0])]  # unseen for over a week
    assert store.enforce_cap(keep={ids[1]}) == [store.folder(ids[2])]  # the oldest idle one; a visitor here stays
    assert [store.has(v) for v in ids] == [False, True, False, True]


def test_shutdown_saves_every_returning_visitors_run_paused(tmp_path):
    reg = _registry(tmp_path)
    token, _ = reg.attach("page", None)
    vid = reg.key("page")
    session = reg.new_run(vid, tiny_2d())
    session.start()
    assert wait_until(lambda: session.snapshot(None).step > 10, 10)
    reg.close(save=True)
    _, meta = reg.store.read(vid, "a")
    assert meta["session"]["state"] == PAUSED and meta["trainer"]["step_count"] == session.trainer.step_count
    rows = reg.store.read(vid, "a")[0]["history"].numpy()
    assert rows.shape[1] == 5 and np.all(np.diff(rows[:, 0]) > 0)


def test_pages_that_never_unload_are_forgotten(tmp_path):
    reg = _registry(tmp_path, idle_timeout_s=0.2, grace_s=0.5)
    reg.attach("gone-page", None)
    reg.page("gone-page").drawn = {"step": 3}
    reg.page("api-client").drawn = {"step": 1}
    reg.key("api-client")
    time.sleep(0.3)
    reg.reap()
    assert reg.page("gone-page") == PageView() and reg.key("gone-page") != "gone-page"  # still whose it was
    time.sleep(0.6)
    reg.reap()
    assert reg.key("gone-page") == "gone-page"  # after the grace period, not even that
    reg.close(save=False)


def test_what_a_page_did_before_it_attached_goes_to_its_visitor(tmp_path):
    reg = _registry(tmp_path)
    early = reg.new_run("quick-page", tiny_2d())  # Start pressed before the page's attach came back
    reg.visitor("quick-page").state.name = "Ada"
    reg.attach("quick-page", None)
    v = reg.visitor(reg.key("quick-page"))
    assert v.run is early and v.state.name == "Ada" and "quick-page" not in reg
    token, _ = reg.attach("other-page", None)
    reg.new_run(reg.key("other-page"), tiny_2d(seed=3))
    late = reg.new_run("reloaded-page", tiny_2d(seed=4))  # a reload: the visitor has a run already
    reg.attach("reloaded-page", token)
    assert reg.visitor(reg.key("reloaded-page")).run is not late and late.state == "stopped"
    reg.close(save=False)


def test_without_a_state_folder_a_page_is_its_own_visitor_and_goes_with_its_unload():
    reg = Registry()  # GANAPP_STATE_DIR=off
    assert reg.attach("page", "any-token") == (None, NEW) and reg.key("page") == "page"
    reg.new_run("page", tiny_2d()).start()
    reg.detach("page")
    assert "page" not in reg
    reg.close()


def test_the_host_can_turn_autosaves_off(monkeypatch):
    import app as app_module

    monkeypatch.setenv("GANAPP_STATE_DIR", "off")
    assert app_module.state_store() is None
    monkeypatch.setenv("GANAPP_STATE_MAX_MB", "-1")
    monkeypatch.setenv("GANAPP_STATE_DIR", "/tmp/unused-ganapp-state")
    with pytest.raises(SystemExit, match="GANAPP_STATE_MAX_MB"):
        app_module.state_store()
