"""Server CPU of the teacher's page refreshing the whole class once a second, Gradio's postprocessing included.

Builds the real app with a teacher token (app.create_demo), starts ``--sessions`` named ring8 runs at the classroom
sizes, signs a teacher page in, and calls the page's refresh (the cards, the leaderboard of a running challenge, one
run shown large) the way Gradio runs the Timer's event: the function, then ``Blocks.postprocess_data`` on its
outputs (the gallery's thumbnails are encoded as images there). It measures the thread CPU time of each call, so
training in the engine thread does not count, and prints the median and p95, the share of a core the teacher's page
costs at one refresh a second, and the ratio to the reference: one student's tick (what 30 students pay 60 times a
second between them). Then it times "Pause all" and "Resume all" with the class training (wall time of the
class action, which the teacher's note answers with).

    python benchmarks/teacher_refresh.py [--sessions 30] [--calls 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from types import SimpleNamespace

import numpy as np

from _common import ROOT, postprocessed_cpu_ms  # noqa: F401  (ROOT sets the import path)
from ganapp.engine import runtime
from ganapp.gan.config import GANConfig
from ganapp.gan.presets import classroom_config

TOKEN = "benchmark-teacher-token"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=30, help="named ring8 runs training while the page refreshes")
    p.add_argument("--calls", type=int, default=30)
    a = p.parse_args()
    runtime.configure()
    import app as app_module
    from ganapp.ui.teacher import TeacherHandlers

    demo = app_module.create_demo(state_dir=tempfile.mkdtemp(prefix="ganapp-bench-state-"), teacher_token=TOKEN)
    gan = demo.ganapp
    registry = gan.registry
    config = classroom_config(GANConfig.default_for("ring8"))
    for i in range(a.sessions):
        registry.new_run(f"s{i}", config.replace(seed=i)).start()
        registry.visitor(f"s{i}").state.name = f"Student number {i}"
    teacher = TeacherHandlers(gan, gan.classroom)
    page = SimpleNamespace(session_hash="teacher", client=SimpleNamespace(host="127.0.0.1"))
    gan.classroom.start_challenge("all_modes")
    time.sleep(5)  # past the first frames and 2D metrics
    teacher._refresh(page, "en", "score")  # the refresh past the token check (a coroutine around it awaits nothing)
    gan._page(page)["teacher_selected"] = gan._page(page)["teacher_order"][0]  # one run shown large
    refresh_fn = next(f for f in demo.fns.values() if f.name == "refresh")
    tick_fn = next(f for f in demo.fns.values() if f.api_name == "tick")
    student = SimpleNamespace(session_hash="s0")
    refresh = np.array(postprocessed_cpu_ms(demo, refresh_fn, lambda: teacher._refresh(page, "en", "score"),
                                            a.calls, 1.0))
    tick = np.array(postprocessed_cpu_ms(demo, tick_fn, lambda: gan.live.tick(student, "en"), a.calls, 0.5))
    actions = []
    for _ in range(5):
        for action in (gan.classroom.pause_all, gan.classroom.resume_all):
            t0 = time.perf_counter()
            action()
            actions.append(1000 * (time.perf_counter() - t0))
            time.sleep(1.0)
    registry.close(save=False)
    registry.engine.close()
    print(f"{a.sessions} named ring8 runs training; thread CPU per call, Gradio's postprocessing included:")
    for name, ms in (("teacher refresh (cards, leaderboard, one run large)", refresh),
                     ("reference: one student's tick", tick)):
        print(f"  {name}: median {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms")
    print(f"Pause all / Resume all, wall time: median {np.median(actions):.1f} ms, max {np.max(actions):.1f} ms")
    print(f"the teacher's page at 1 refresh/s: {np.median(refresh) / 1000:.3f} cores; refresh ÷ tick "
          f"{np.median(refresh) / np.median(tick):.1f} (30 students tick 60 times a second)")


if __name__ == "__main__":
    main()
