"""A full disk, or a state folder made read-only, loses no run (issue 27, item 17): a failed autosave leaves the
previous one in place, the server's log says so once (not on every try) and once more when saving works again, the
teacher's page tells the host that runs are not being saved, and a restart finds every run's previous autosave.

The disk is filled by making the state folder's writes fail as the kernel fails them (ENOSPC from fsync once the
temporary file is written, EROFS when it is opened): making a real small filesystem needs root's mount."""

import asyncio
import errno
import logging
import os

import pytest

import ganapp.gan.checkpoints as checkpoints
from conftest import TEACHER_TOKEN, req, tiny_2d, wait_until
from ganapp.host.autosave import StateStore
from ganapp.host.classroom import Classroom
from ganapp.host.teacher_gate import TeacherGate
from ganapp.host.registry import RESTORED, Registry
from ganapp.run.run import PAUSED
from ganapp.ui.handlers import GanApp
from ganapp.ui.i18n import t
from ganapp.ui.teacher import TeacherHandlers


def _under(fd_or_path, folder) -> bool:
    path = os.readlink(f"/proc/self/fd/{fd_or_path}") if isinstance(fd_or_path, int) else str(fd_or_path)
    return path.startswith(str(folder))


def fill_disk(monkeypatch, folder) -> None:
    """Writes under ``folder`` fail as on a full disk: the data is written, then fsync reports ENOSPC."""
    real = os.fsync

    def fsync(fd):
        if _under(fd, folder):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(checkpoints.os, "fsync", fsync)


def make_read_only(monkeypatch, folder) -> None:
    """Files under ``folder`` cannot be created, as in a read-only folder (root ignores a chmod)."""
    def refuse(path, *args, **kwargs):
        if _under(path, folder):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(checkpoints, "open", refuse, raising=False)


def _class(tmp_path, n: int = 3):
    """A registry over ``tmp_path / 'state'`` with ``n`` visitors, each with a token and a run stepped 5 times and
    autosaved: (registry, [(token, visitor id, run)])."""
    reg = Registry(idle_timeout_s=600, store=StateStore(tmp_path / "state"), autosave_every_s=0.01)
    class_ = []
    for i in range(n):
        token, _ = reg.attach(f"page-{i}", None)
        vid = reg.key(f"page-{i}")
        run = reg.new_run(vid, tiny_2d(seed=i))
        run.step(5)
        class_.append((token, vid, run))
    for _, _, run in class_:
        assert wait_until(lambda: run.state == PAUSED and run.snapshot(None).step == 5, 30)
    reg.reap()
    for _, vid, _ in class_:
        assert reg.store.read(vid, "a")[1]["trainer"]["step_count"] == 5
    return reg, class_


def _step_all(class_, n: int) -> None:
    for _, _, run in class_:
        step = run.snapshot(None).step
        run.step(n)
        assert wait_until(lambda: run.state == PAUSED and run.snapshot(None).step == step + n, 30)


def _errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_full_disk_keeps_every_runs_autosave_logs_once_and_a_restart_finds_them_all(tmp_path, monkeypatch, caplog):
    reg, class_ = _class(tmp_path)
    fill_disk(monkeypatch, tmp_path / "state")
    caplog.set_level(logging.INFO, logger="ganapp")
    _step_all(class_, 5)
    for _ in range(4):  # four rounds of the reaper, each trying every run again
        reg.reap()
    problem = reg.autosave_problem
    assert problem is not None and problem["reason"] == "disk_full" and problem["error"] == "ENOSPC"
    assert problem["failures"] >= 4
    errors = _errors(caplog)
    assert len(errors) == 1 and "not being saved" in errors[0], errors  # once, not on every try
    for _, vid, _ in class_:  # the previous autosave of each run, whole, and no temporary file left
        assert reg.store.read(vid, "a")[1]["trainer"]["step_count"] == 5
        assert [p.name for p in reg.store.folder(vid).iterdir()] == ["a.safetensors"]
    reg.close(save=True)  # the shutdown's saves fail too: one line for them all
    assert len(_errors(caplog)) == 2 and "3 of 3" in _errors(caplog)[1]
    monkeypatch.undo()
    again = Registry(idle_timeout_s=600, store=StateStore(tmp_path / "state"))
    try:
        for i, (token, vid, _) in enumerate(class_):
            _, found = again.attach(f"page-after-{i}", token)
            assert found == RESTORED and again.visitor(vid).run.snapshot(None).step == 5
    finally:
        again.close(save=False)


def test_a_read_only_state_folder_is_said_once_then_saving_resumes_when_it_is_writable(tmp_path, monkeypatch,
                                                                                        caplog):
    reg, class_ = _class(tmp_path, n=2)
    try:
        make_read_only(monkeypatch, tmp_path / "state")
        caplog.set_level(logging.INFO, logger="ganapp")
        _step_all(class_, 3)
        for _ in range(3):
            reg.reap()
        assert reg.autosave_problem["reason"] == "read_only" and reg.autosave_problem["error"] == "EROFS"
        assert len(_errors(caplog)) == 1
        monkeypatch.undo()  # the host makes the folder writable again
        reg.reap()
        assert reg.autosave_problem is None
        assert [r.getMessage() for r in caplog.records if "work again" in r.getMessage()] != []
        for _, vid, _ in class_:
            assert reg.store.read(vid, "a")[1]["trainer"]["step_count"] == 8  # the runs are saved again
    finally:
        reg.close(save=False)


def _class_note(teacher: TeacherHandlers, lang: str) -> str:
    """The teacher page's class note as a refresh answers it (the refresh is a coroutine: the gate holds wrong
    answers without a thread)."""
    return asyncio.run(teacher.refresh(req("teacher"), lang, TEACHER_TOKEN, "seat"))[2]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_teachers_page_says_that_runs_are_not_being_saved(tmp_path, monkeypatch, lang):
    reg, class_ = _class(tmp_path, n=1)
    teacher = TeacherHandlers(GanApp(reg, tmp_path), Classroom(reg, TeacherGate(TEACHER_TOKEN)))
    try:
        assert _class_note(teacher, lang) == ""
        make_read_only(monkeypatch, tmp_path / "state")
        _step_all(class_, 1)
        reg.reap()
        note = _class_note(teacher, lang)
        assert note == t(lang, "autosave_problem_read_only", minutes=1, error="EROFS")
        monkeypatch.undo()
        reg.reap()
        assert _class_note(teacher, lang) == ""
    finally:
        reg.close(save=False)
