"""The teacher's class actions wait for a student's command in progress: pause all, resume all and "apply now" take
each student's visitor lock, as the student's own commands do, so that a Reset or Start half done is never paused or
replaced in its middle."""

import asyncio
import threading
from types import SimpleNamespace

from conftest import TEACHER_TOKEN as TOKEN
from conftest import tiny_2d, wait_until
from ganapp.host.classroom import Classroom
from ganapp.host.registry import Registry
from ganapp.host.teacher_gate import TeacherGate
from ganapp.run.run import PAUSED, RUNNING
from ganapp.ui.handlers import GanApp
from ganapp.ui.teacher import TeacherHandlers

TEACHER = SimpleNamespace(session_hash="teacher", client=SimpleNamespace(host="10.0.0.2"))


class WatchedLock:
    """A re-entrant lock that says when a thread other than its holder has asked for it."""

    def __init__(self):
        self._lock = threading.RLock()
        self.holder: int | None = None
        self.asked = threading.Event()

    def acquire(self, *args, **kwargs):
        if self.holder is not None and self.holder != threading.get_ident():
            self.asked.set()
        got = self._lock.acquire(*args, **kwargs)
        if got:
            self.holder = threading.get_ident()
        return got

    def release(self):
        self._lock.release()
        if not self._lock._is_owned():
            self.holder = None

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()


def _held_while(visitor, action):
    """Run ``action`` in a thread while this thread holds ``visitor``'s lock (a student's command in progress);
    returns (the run's state when ``action`` had asked for the lock, what ``action`` returned)."""
    visitor.lock = WatchedLock()
    out = {}
    with visitor.lock:
        thread = threading.Thread(target=lambda: out.setdefault("value", action()))
        thread.start()
        assert visitor.lock.asked.wait(60)
        state = visitor.run.state
    thread.join(60)
    return state, out["value"]


def test_pause_all_and_resume_all_wait_for_the_students_command(tmp_path):
    registry = Registry()
    room = Classroom(registry, TeacherGate(TOKEN))
    try:
        visitor = registry.visitor("s")
        registry.new_run("s", tiny_2d()).start()
        wait_until(lambda: visitor.run.state == RUNNING)
        state, paused = _held_while(visitor, room.pause_all)
        assert state == RUNNING and paused == 1 and visitor.run.state == PAUSED
        state, resumed = _held_while(visitor, room.resume_all)
        assert state == PAUSED and resumed == 1
        wait_until(lambda: visitor.run.state == RUNNING)
    finally:
        registry.close()


def test_apply_now_waits_for_the_students_command(tmp_path):
    registry = Registry()
    room = Classroom(registry, TeacherGate(TOKEN))
    app = GanApp(registry, tmp_path, classroom=room)
    teacher = TeacherHandlers(app, room)
    try:
        visitor = registry.visitor("s")
        registry.new_run("s", tiny_2d()).start()
        before = visitor.run
        apply_now = lambda: asyncio.run(teacher.set_lesson(TEACHER, "en", TOKEN, "mode_collapse", True))  # noqa: E731
        state, said = _held_while(visitor, apply_now)
        assert state == RUNNING and visitor.run is not before  # built only once the student's command ended
        assert visitor.state.lesson == "mode_collapse" and "1" in said
    finally:
        registry.close()
