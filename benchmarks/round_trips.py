"""Round trips from the web process to the training worker per page event, and the size of what a tick carries.

Builds the real app with its training worker (``app.create_demo``, as ``python app.py`` does), gives one page a
training run A, then calls the handlers the way the page's events do and counts the calls that reach the worker
(:attr:`ganapp.service.worker.WorkerService.calls`):

- a learning-rate change (``SettingsHandlers.settings_changed`` with the field ``lr_g``: the control's ``input``
  event);
- a tick (``LiveHandlers.tick``: the page's Timer, twice a second);
- the same two with a run B beside run A.

The reference, in the same process and against the same worker: the same events through handles that ask the worker
for the run's config at each read, as the handle did before it kept the config it last heard. It prints each count,
the reference's, their ratio, and the pickled size of the status a tick reads against the run's whole snapshot,
and of the frame a poll reads when the page already holds the run's arrays (``frame(grid_version)``) against the
snapshot a poll read before it had ``frame``.

    python benchmarks/round_trips.py [--events 20]
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from types import SimpleNamespace

from _common import ROOT  # noqa: F401  (sets the import path)
from ganapp.gan.config import GANConfig
from ganapp.service.remote import WorkerRun


class ConfigAskingSession(WorkerRun):
    """The reference handle: every read of ``config`` is a round trip to the worker (its snapshot's config)."""

    @property
    def config(self) -> GANConfig:
        return self._remote("snapshot", None).config


def count(engine, event, n: int) -> float:
    """Round trips to the worker per call of ``event``, over ``n`` calls."""
    before = sum(engine.calls.values())
    for i in range(n):
        event(i)
    return (sum(engine.calls.values()) - before) / n


def measure(gan, page: str, n: int, reference: bool, with_b: bool) -> dict[str, float]:
    request = SimpleNamespace(session_hash=page)
    registry, engine = gan.registry, gan.registry.engine
    vid = registry.key(page)
    config = GANConfig.default_for("ring8").replace(seed=1)
    registry.new_run(vid, config).start()
    if with_b:
        registry.new_run_b(vid, config.replace(loss="minimax")).start()
    visitor = registry.visitor(vid)
    if reference:
        for run in visitor.runs().values():
            run.__class__ = ConfigAskingSession
    deadline = time.monotonic() + 120
    while visitor.run.snapshot(None).step == 0:  # trained and published once: a tick then reads a real frame
        if time.monotonic() > deadline:
            raise SystemExit("the run did not train within 120 s")
        time.sleep(0.2)
    lrs = [1e-3, 5e-4]
    out = {"lr change": count(engine, lambda i: gan.settings.settings_changed(request, "en", ("lr_g",),
                                                                           lrs[i % 2]), n),
           "tick": count(engine, lambda i: gan.live.tick(request, "en"), n)}
    out["tick bytes"] = len(pickle.dumps(visitor.run.status()))
    out["snapshot bytes"] = len(pickle.dumps(visitor.run.snapshot(None)))
    run = visitor.run
    run.pause()  # one moment: the frame and the snapshot then show the same arrays
    while run.state not in ("paused", "error"):
        time.sleep(0.05)
    held = run.status().grid_version
    out["frame bytes"] = len(pickle.dumps(run.frame(held)))
    out["poll snapshot bytes"] = len(pickle.dumps(run.snapshot(None)))
    registry.remove(vid)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=20, help="calls of each event measured")
    args = p.parse_args()
    import app as app_module

    demo = app_module.create_demo(state_dir=tempfile.mkdtemp(prefix="ganapp-bench-state-"), worker=True)
    gan = demo.ganapp
    try:
        rows = []
        for with_b in (False, True):
            now = measure(gan, f"now-{with_b}", args.events, reference=False, with_b=with_b)
            ref = measure(gan, f"ref-{with_b}", args.events, reference=True, with_b=with_b)
            rows.append((with_b, now, ref))
    finally:
        gan.registry.close(save=False)
    print(f"round trips to the training worker per event ({args.events} events each; reference: handles that ask "
          f"the worker for the config at each read)")
    print(f"{'runs':<14}{'event':<12}{'now':>6}{'reference':>11}{'ratio':>7}")
    for with_b, now, ref in rows:
        for event in ("lr change", "tick"):
            ratio = now[event] / ref[event] if ref[event] else float("nan")
            print(f"{'A and B' if with_b else 'A':<14}{event:<12}{now[event]:>6.2f}{ref[event]:>11.2f}{ratio:>7.2f}")
        print(f"{'A and B' if with_b else 'A':<14}{'tick bytes':<12}{now['tick bytes']:>6,}  (run A's status pickled, "
              f"what a tick reads; its whole snapshot: {now['snapshot bytes']:,}, ratio "
              f"{now['tick bytes'] / now['snapshot bytes']:.3f})")
        print(f"{'A and B' if with_b else 'A':<14}{'poll bytes':<12}{now['frame bytes']:>6,}  (run A's frame when the "
              f"page holds its arrays; the snapshot a poll read before: {now['poll snapshot bytes']:,}, ratio "
              f"{now['frame bytes'] / now['poll snapshot bytes']:.3f})")


if __name__ == "__main__":
    main()
