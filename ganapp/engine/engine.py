"""The classroom engine: one scheduler trains every training run of a server, each with a fair share.

Runs whose networks have the same shape (:func:`ganapp.engine.stack.stack_key`) train together in one stacked step
(:class:`ganapp.engine.stack.StackedTrainer`). The rest train alone: a DCGAN, a run in slow motion, a shape nobody else
has. The groups take turns. Each round gives every group a time budget of ``quantum_s`` per member (deficit round
robin: a step that overruns its budget is paid back in later rounds), so every training run gets an equal share
of the machine, and none waits at zero steps. A stacked group turns that share into more
steps, because one stacked step advances all of its members.

Equal time is not what a student sees, though: a class's runs at the same default sizes compare their steps/s. A
run built at the full sizes before the class arrived costs several times a classroom-size member of the class's
stack per step, so an equal time share gave it a fifth of their steps. Runs that say they are peers
(:meth:`Job.peer_key`: 2D runs at their dataset's default sizes, full or classroom, see
:func:`ganapp.gan.presets.peer_class`) therefore share by steps: each peer group's budget is scaled by its measured cost
per member-step over the cheapest peer group's, so every peer gets as many steps per round as the cheapest group's
members. That costs the class what the dearer runs cost (about a fifth of the class's rate for one full-size run
beside a stack of 29), which is why the UI also moves a young full-size run into the class's shape
(:meth:`ganapp.ui.settings.SettingsHandlers.join_class`). Everything else (sizes a visitor chose, a paced lesson,
slow motion, an image model) keeps the equal time share: a visitor who picks wider networks pays for them in steps,
and cannot take the class's time by doing so.

Two ways to drive it (the seam ZeroGPU needs, where only a decorated request handler may hold the GPU):
- a background thread, started when a job is submitted and ended after ``idle_exit_s`` with nothing to do;
- a caller's thread, in chunks: :meth:`Engine.run_for` trains for a few seconds, then returns.

Locks, in the only order they may be taken:
1. ``Engine.lock`` (re-entrant): guards every Trainer a job owns while the engine may step it, and the stacks. The
   driver holds it for one step (lone or stacked) and the callbacks after it, and releases it between steps.
2. a run's control lock (``Run._lock``).
3. a publisher's ``lock`` (what readers see).
``Engine._cond`` guards the job set and the driver thread; no other lock is taken while it is held.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Hashable
from typing import Protocol

import torch

from ..gan.trainer import Trainer
from .stack import StackedTrainer, StackKey


class Job(Protocol):
    """What the engine needs of a run (:class:`ganapp.run.run.Run` is one). Every method but
    ``wants_work`` and ``settle_due`` is called with ``Engine.lock`` held."""

    trainer: Trainer

    def wants_work(self, now: float) -> bool:
        """True when the job wants a step now (running, or steps requested, and not waiting out slow motion)."""

    def stack_key(self) -> Hashable | None:
        """The key of the stack it may join, or None to train alone."""

    def peer_key(self) -> Hashable | None:
        """Jobs with the same peer key share the machine by steps, not by time (see the module); None: by time."""

    def begin_step(self, now: float) -> bool:
        """About to step: returns False when no step should follow after all (a timed run just ended)."""

    def lone_step(self) -> torch.Tensor | None:
        """One step alone: the (4,) metrics row of a full step, or None when only part of one was done."""

    def end_step(self, row: torch.Tensor, now: float) -> bool:
        """A full step is done with metrics ``row`` (4,). Returns True when a publish is due."""

    def publish(self, now: float) -> bool:
        """Publish what readers see from the Trainer. Returns False when it rolled the Trainer back."""

    def settle_due(self) -> bool:
        """True when the job no longer wants steps but has done some that readers have not seen yet."""

    def settle(self, now: float) -> None:
        """The final publish once the job stopped wanting steps (Trainer released from any stack first)."""

    def fail(self, error: BaseException) -> None:
        """The job's step raised ``error``: stop it and say why."""

    # Asked only by ganapp.engine.zerogpu.ChunkedEngine (a job without them trains there by lone steps):
    def chunk_steps(self) -> int | None:
        """The most steps one chunk of it may take now (≥ 1), or None when it must take lone steps."""

    def pause(self) -> None:
        """Stop wanting steps (ZeroGPU's quota is spent and the host chose to pause)."""


class Engine:
    """Trains the submitted jobs: stacks same-shape ones, time-slices between groups with fair quanta.

    Args:
        quantum_s: a group's time budget per member and round, in seconds. Short quanta make the page's commands
            take effect sooner; long ones spend less on switching.
        stacking: train same-shape jobs in one stacked step (off: every job trains alone, time-sliced).
        background: drive the engine from its own thread, started on demand (off: the caller drives it with
            :meth:`run_for`).
        idle_exit_s: the background thread ends after this many seconds with no job that wants work.
        stack_threads: torch intra-op threads for a stacked step (default ``GANAPP_STACK_THREADS``, else every core
            but one, at least 1: the page needs a core of its own). A lone step runs on one thread: on 2 cores a
            stacked step on both made the page answer in seconds, and a lone ring8 step ran slower on two threads
            than on one (benchmarks/classroom.py; the figures are in benchmarks/README.md).
        share: ``"steps"``: peers (:meth:`Job.peer_key`) share by steps and the rest by time, as the module says;
            ``"time"``: every group by time (the engine before peers; benchmarks/class_fairness.py compares both).

    Raises:
        ValueError: ``quantum_s`` or ``idle_exit_s`` is not > 0, or ``share`` is not one of SHARES.
    """

    SHARES = ("steps", "time")

    def __init__(self, quantum_s: float = 0.02, stacking: bool = True, background: bool = True,
                 idle_exit_s: float = 5.0, stack_threads: int | None = None, share: str = "steps"):
        for name, value in (("quantum_s", quantum_s), ("idle_exit_s", idle_exit_s)):
            if not value > 0:
                raise ValueError(f"{name}={value!r} is out of range: it must be > 0")
        if share not in self.SHARES:
            raise ValueError(f"share={share!r} must be one of {', '.join(self.SHARES)}")
        self.share = share
        self.quantum_s = quantum_s
        self.stacking = stacking
        self.background = background
        self.idle_exit_s = idle_exit_s
        self.stack_threads = stack_threads or int(os.environ.get("GANAPP_STACK_THREADS", 0)) or max(
            1, (os.cpu_count() or 1) - 1)
        self.lock = threading.RLock()  # guards the jobs' Trainers while stepping, and the stacks
        self._stacks: dict[Hashable, StackedTrainer] = {}
        self._stack_of: dict[int, Hashable] = {}  # id(trainer) -> key of the stack holding it
        self._cond = threading.Condition()  # guards the job set, the thread and the flags below
        self._jobs: dict[int, Job] = {}
        self._changed = False  # a job was submitted or withdrawn: end the group's turn early
        self._thread: threading.Thread | None = None
        self._closed = False
        self._rotation = 0
        self._credit: dict[Hashable, float] = {}  # per group: seconds of its turns it overran (≤ 0), see _round
        self._step_s: dict[Hashable, float] = {}  # per group: seconds per step of all its members (EMA), see _weights
        self.steps_done = 0  # model-steps since construction (a stacked step of K counts K)
        self.training = 0  # jobs that trained in the last round

    # ----- jobs -----

    def submit(self, job: Job) -> None:
        """Add ``job`` (or say that it wants work again); starts the background thread if needed."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the engine is closed")
            self._jobs[id(job)] = job
            self._changed = True
            self._cond.notify_all()
            if self.background and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._loop, name="ganapp-engine", daemon=True)
                self._thread.start()

    def withdraw(self, job: Job) -> None:
        """Remove ``job`` from the engine: no step of it starts after this returns (one may still be in progress;
        take :attr:`lock` and :meth:`release` its Trainer to wait for it)."""
        with self._cond:
            self._jobs.pop(id(job), None)
            self._changed = True

    def release(self, trainer: Trainer) -> None:
        """Take ``trainer`` out of its stack (writing its state back), so that code outside the engine may read or
        change it. The stack's other members train on in it, untouched. Callers that then touch ``trainer`` hold
        :attr:`lock` until they are done."""
        with self.lock:
            self._leave(trainer)

    def sync(self, trainer: Trainer) -> None:
        """Write ``trainer``'s current weights and optimiser state back from its stack, leaving it in the stack.
        Callers hold :attr:`lock` while they read it."""
        with self.lock:
            key = self._stack_of.get(id(trainer))
            if key is not None:
                stack = self._stacks[key]
                stack.write_back(stack.members.index(trainer))

    def holds(self, job: Job) -> bool:
        """True while ``job`` is submitted and not withdrawn."""
        with self._cond:
            return id(job) in self._jobs

    # ----- driving -----

    def run_for(self, seconds: float) -> int:
        """Drive the engine in the caller's thread for about ``seconds`` (the chunked seam), then return.

        Returns:
            Model-steps done meanwhile.
        """
        start, deadline = self.steps_done, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if not self._round(deadline):
                time.sleep(min(0.01, max(0.0, deadline - time.perf_counter())))
        return self.steps_done - start

    def close(self) -> None:
        """Stop the background thread and write every stack back."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(5.0)
        with self.lock:
            for key in list(self._stacks):
                self._dissolve(key)

    def _loop(self) -> None:
        idle_since = time.perf_counter()
        while True:
            if self._closed:  # closed while runs still train: stop now, not when they do
                with self._cond:
                    self._thread = None
                return
            if self._round():
                idle_since = time.perf_counter()
                continue
            with self._cond:
                if self._closed or time.perf_counter() - idle_since > self.idle_exit_s:
                    if not self._closed and self._any_wants(time.perf_counter()):
                        continue
                    self._thread = None
                    return
                self._cond.wait(0.02)  # a submit wakes it at once; slow-motion holds are re-checked at 50 Hz

    def _any_wants(self, now: float) -> bool:
        return any(j.wants_work(now) for j in self._jobs.values())

    def _round(self, deadline: float | None = None) -> bool:
        """One round: every runnable group gets its turn. Returns False when nothing wanted to train."""
        now = time.perf_counter()
        with self._cond:
            self._changed = False
            jobs = list(self._jobs.values())
        settling = [j for j in jobs if j.settle_due()]
        jobs = [j for j in jobs if j.wants_work(now)]
        if settling:
            with self.lock:
                for j in settling:
                    self.release(j.trainer)
                    try:
                        j.settle(time.perf_counter())
                    except Exception as e:  # noqa: BLE001
                        j.fail(e)
        if not jobs:
            with self.lock:
                for key in list(self._stacks):
                    self._dissolve(key)
            self.training = 0
            return False
        groups: dict[Hashable, list[Job]] = {}
        with self.lock:
            for j in jobs:
                key = j.stack_key() if self.stacking else None
                groups.setdefault(key if key is not None else ("alone", id(j)), []).append(j)
            for key in [k for k in self._stacks if k not in groups]:
                self._dissolve(key)
        self.training = len(jobs)
        order = list(groups.items())
        self._rotation = (self._rotation + 1) % len(order)
        self._credit = {k: v for k, v in self._credit.items() if k in groups}
        self._step_s = {k: v for k, v in self._step_s.items() if k in groups}
        weights = self._weights(groups) if self.share == "steps" else {}
        for key, group in order[self._rotation:] + order[:self._rotation]:
            # deficit round robin: a step cannot be cut short, so a group whose last step overran its budget (a
            # DCGAN step can take several quanta) waits out what it owes before it steps again
            budget = self.quantum_s * len(group) * weights.get(key, 1.0)
            credit = self._credit.get(key, 0.0) + budget
            if credit <= 0:
                self._credit[key] = credit
                continue
            start = time.perf_counter()
            steps = self._run_group(key, group, start + credit if deadline is None else min(start + credit, deadline))
            spent = time.perf_counter() - start
            self._credit[key] = min(0.0, credit - spent)  # no credit is banked while idle
            if steps:
                last = self._step_s.get(key)
                self._step_s[key] = spent / steps if last is None else 0.7 * last + 0.3 * spent / steps
        return True

    def _weights(self, groups: dict[Hashable, list[Job]]) -> dict[Hashable, float]:
        """Each peer group's budget multiplier (≥ 1): its measured cost per member-step over the cheapest cost
        among the groups of its peer key, so that their members all get the same steps per round (see the module).
        Groups without peers, or not measured yet, are not in it (1: the equal time share)."""
        costs: dict[Hashable, list[tuple[Hashable, float]]] = {}
        for key, group in groups.items():
            peer = group[0].peer_key()
            if peer is not None and key in self._step_s:
                costs.setdefault(peer, []).append((key, self._step_s[key] / len(group)))
        weights = {}
        for peers in costs.values():
            cheapest = min(c for _, c in peers)
            weights |= {key: c / cheapest for key, c in peers if len(peers) > 1 and cheapest > 0}
        return weights

    def _run_group(self, key: Hashable, group: list[Job], until: float) -> int:
        """Step ``group`` until ``until``, a change of the job set, or no member wants work. Returns the steps each
        member took (stacked steps, or lone steps of a group of one)."""
        stackable = isinstance(key, StackKey)  # else ("alone", id(job)): a job that trains by itself
        steps = 0
        while True:
            with self.lock:
                now = time.perf_counter()
                # a member whose settings changed since the round grouped it (a live update) waits for the next
                # round, which regroups it: a stack only ever holds members of its own key
                members = [j for j in group if j.wants_work(now) and (not stackable or j.stack_key() == key)
                           and self._begin(j, now)]
                if not members:
                    return steps
                steps += 1
                if stackable and len(members) > 1:
                    self._stacked_step(key, members)
                else:
                    for j in members:
                        self.release(j.trainer)
                        self._lone_step(j)
            with self._cond:
                changed = self._changed
            if changed or time.perf_counter() >= until:
                return steps

    def _begin(self, job: Job, now: float) -> bool:
        try:
            return job.begin_step(now)
        except Exception as e:  # noqa: BLE001 (a job's fault stays the job's)
            self.release(job.trainer)
            job.fail(e)
            return False

    @staticmethod
    def _threads(n: int) -> None:
        """Set torch's intra-op threads for the steps that follow in this thread (when it changes)."""
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)

    def _lone_step(self, job: Job) -> None:
        self._threads(1)
        try:
            row = job.lone_step()
            self.steps_done += row is not None
            if row is not None and job.end_step(row, time.perf_counter()):
                job.publish(time.perf_counter())
        except Exception as e:  # noqa: BLE001
            job.fail(e)

    def _stacked_step(self, key: Hashable, members: list[Job]) -> None:
        self._threads(self.stack_threads)
        try:
            stack = self._stack_for(key, [j.trainer for j in members])
            rows = stack.train_step()
        except Exception:  # noqa: BLE001: find whose fault it was by stepping each alone; the others go on
            self._dissolve(key)
            for j in members:
                self._lone_step(j)
            return
        self.steps_done += len(members)
        now = time.perf_counter()
        job_of = {id(j.trainer): j for j in members}
        for k, trainer in enumerate(stack.members):  # the rows come in the stack's member order
            j = job_of[id(trainer)]
            try:
                if j.end_step(rows[k], now):
                    stack.write_back(k)
                    if not j.publish(now):  # rolled back: the stack takes the rolled-back weights
                        stack.read_in(k)
            except Exception as e:  # noqa: BLE001
                stack.write_back(k)
                j.fail(e)

    def _stack_for(self, key: Hashable, trainers: list[Trainer]) -> StackedTrainer:
        """The stack of exactly ``trainers``, in its own member order. Members that left are written back and
        taken out, newcomers join at the end; the others stay in place (a stack is built whole only when none of
        its members is left)."""
        stack = self._stacks.get(key)
        if stack is not None and len(stack.members) == len(trainers) and \
                all(self._stack_of.get(id(t)) == key for t in trainers):
            return stack
        wanted = {id(t) for t in trainers}
        for t in trainers:  # a trainer whose key changed may still sit in another stack
            if self._stack_of.get(id(t)) not in (None, key):
                self._leave(t)
        if stack is not None:
            for t in [m for m in stack.members if id(m) not in wanted]:
                self._leave(t)
        stack = self._stacks.get(key)  # None when every member left
        new = [t for t in trainers if self._stack_of.get(id(t)) != key]
        if stack is None:
            stack = self._stacks[key] = StackedTrainer(new)
        elif new:
            stack.add(new)
        for t in new:
            self._stack_of[id(t)] = key
        return stack

    def _leave(self, trainer: Trainer) -> None:
        """Take ``trainer`` out of the stack holding it, if any (its state written back); the last member's
        leaving drops the stack."""
        key = self._stack_of.get(id(trainer))
        if key is None:
            return
        stack = self._stacks[key]
        if len(stack.members) == 1:
            self._dissolve(key)
            return
        stack.remove(trainer)
        del self._stack_of[id(trainer)]

    def _dissolve(self, key: Hashable) -> None:
        stack = self._stacks.pop(key, None)
        if stack is None:
            return
        stack.write_back_all()
        for t in stack.members:
            self._stack_of.pop(id(t), None)
