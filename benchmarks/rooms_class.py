"""Several classes at once: 3 rooms × 10 students, against one room of 10 measured in the same run.

``python -m ganapp rooms 3`` is started as a host starts it (a state folder of its own, and a short idle timeout);
its first line says where the rooms train (one local Ray cluster when this ganapp trains on Ray, else each room in its
own training worker), and this script prints it. Each room gets a class of simulated students from
``benchmarks/classroom.py`` (the same ``student``: open the page, press Start with the page's ring8 defaults, poll as
the page's Timer does, move a z slider every few seconds), all rooms' students at once; the clients run at nice 19,
below the servers. Then ``rooms 1`` serves one room of the same class, the reference. Printed, for each room and for
all rooms together:

- students whose run trained, and the time from Start to the first trained step per student (median and max;
  the issue's target: every student within 5 s);
- ring8 steps/s per student over the window in which the whole class trains (min, median);
- tick and slider answers at the client, p50 and p95 (target: p95 ≤ 300 ms), and error responses;

and at the end the ratio of the rooms' per-student steps/s (median over every student of the 3 rooms) to the one
room's. On one 2-core machine three rooms share the cores, so that ratio says what a class gets when three classes
train side by side; on a Ray cluster with more nodes it says what the cluster gives back.

    python benchmarks/rooms_class.py [--rooms 3] [--students 10] [--seconds 60]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from _common import ROOT
from classroom import Scenario, class_plan, free_port, rate, spread, worker

READY = "ready, every room answers"
ROOM_LINE = re.compile(r"^  (\S+) +http://127\.0\.0\.1:(\d+)/ ", re.M)
CLIENT_PROCESSES_PER_ROOM = 2


def start_rooms(n_rooms: int, state_dir: str, idle_timeout_s: float) -> tuple[subprocess.Popen, list[str], str]:
    """``python -m ganapp rooms N`` on free ports; returns the process, the rooms' URLs and its first line (where the
    rooms train), once every room answers."""
    while True:  # the landing page's port and the N after it, all free
        port = free_port()
        if port + n_rooms < 65536:
            break
    env = dict(os.environ, GANAPP_STATE_DIR=state_dir, GANAPP_IDLE_TIMEOUT_S=str(idle_timeout_s),
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "ganapp", "rooms", str(n_rooms), "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    deadline = time.monotonic() + 300
    while not any(READY in line for line in lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_rooms(proc)
            raise RuntimeError("the rooms did not come up:\n" + "".join(lines)[-3000:])
        time.sleep(0.5)
    out = "".join(lines)
    urls = [f"http://127.0.0.1:{p}/" for _, p in ROOM_LINE.findall(out)]
    time.sleep(5)  # let each room's warm-up (torchvision, the training worker) finish, as classroom.py does
    return proc, urls, lines[0].strip()


def stop_rooms(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(180)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_rooms(n_rooms: int, students: int, scenario: Scenario, idle_timeout_s: float) -> tuple[str, list[list[dict]]]:
    """Serve ``n_rooms`` rooms with a class of ``students`` in each, all at once; returns where they trained and each
    room's students' results (classroom.student's dicts)."""
    with tempfile.TemporaryDirectory(prefix="ganapp-rooms-bench-") as state_dir:
        proc, urls, how = start_rooms(n_rooms, state_dir, idle_timeout_s)
        try:
            plans = class_plan(students, scenario, mnist_share=0.0, lesson_share=0.0, watch_only=False)
            ctx = mp.get_context("spawn")
            ready, go = ctx.Queue(), ctx.Event()
            procs = []
            for room, url in enumerate(urls):
                for w in range(CLIENT_PROCESSES_PER_ROOM):
                    # each process puts its students' results on a queue of the room's own
                    q = ctx.Queue()
                    procs.append((room, q, ctx.Process(target=worker, args=(
                        url, plans[w::CLIENT_PROCESSES_PER_ROOM], scenario, ready, go, q))))
            for _, _, p in procs:
                p.start()
            for _ in range(students * n_rooms):
                ready.get(timeout=600)
            go.set()
            results: list[list[dict]] = [[] for _ in urls]
            for room, q, p in procs:
                results[room].extend(q.get(timeout=scenario.end_s + 600))
                p.join(30)
        finally:
            stop_rooms(proc)
    return how, results


def summary(results: list[dict], scenario: Scenario) -> dict:
    """The figures of one class (or several together)."""
    w0, w1 = scenario.window
    firsts = [r["first_step_s"] for r in results if r["first_step_s"] is not None]
    polls = np.concatenate([r["polls_ms"] for r in results] or [[np.nan]])
    sliders = np.concatenate([r["sliders_ms"] for r in results] or [[np.nan]])
    return {
        "students": len(results),
        "trained": sum(1 for r in results if r["steps"] and max(s for _, s in r["steps"]) > 0),
        "first_step_s": (float(np.median(firsts)) if firsts else float("nan"), max(firsts, default=float("nan"))),
        "rates": [rate(r["steps"], w0, w1) for r in results],
        "tick_ms": (np.nanpercentile(polls, 50), np.nanpercentile(polls, 95)),
        "slider_ms": (np.nanpercentile(sliders, 50), np.nanpercentile(sliders, 95)),
        "errors": sum(r["errors"] for r in results),
        "error_sample": next((r["error"] for r in results if "error" in r), ""),
    }


def report(label: str, s: dict) -> None:
    low, mid, _ = spread(s["rates"])
    print(f"  {label}: trained {s['trained']} of {s['students']}; Start to first step median "
          f"{s['first_step_s'][0]:.1f} s, max {s['first_step_s'][1]:.1f} s (target ≤ 5 s); ring8 steps/s per student "
          f"min {low:.1f}, median {mid:.1f}; tick p50/p95 {s['tick_ms'][0]:.0f}/{s['tick_ms'][1]:.0f} ms, slider "
          f"p50/p95 {s['slider_ms'][0]:.0f}/{s['slider_ms'][1]:.0f} ms (target p95 ≤ 300); errors {s['errors']} "
          f"{s['error_sample']}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rooms", type=int, default=3, help="rooms served at once (default 3)")
    p.add_argument("--students", type=int, default=10, help="students in each room (default 10)")
    p.add_argument("--seconds", type=float, default=60.0, help="how long each class trains (default 60)")
    p.add_argument("--idle-timeout-s", type=float, default=60.0, help="the rooms' GANAPP_IDLE_TIMEOUT_S")
    a = p.parse_args()
    if not 1 <= a.rooms <= 16 or not 1 <= a.students <= 60 or not a.seconds >= 20:
        p.error("--rooms must be in 1..16, --students in 1..60, --seconds ≥ 20")
    scenario = Scenario("sync", barrier=True, arrive_over_s=0.0, churn=False, seconds=a.seconds)

    how, rooms = run_rooms(a.rooms, a.students, scenario, a.idle_timeout_s)
    print(f"\n{a.rooms} rooms × {a.students} students, {a.seconds:.0f} s ({how}):")
    for i, results in enumerate(rooms, start=1):
        report(f"room-{i}", summary(results, scenario))
    together = summary([r for results in rooms for r in results], scenario)
    report("all rooms", together)

    how_one, (one,) = run_rooms(1, a.students, scenario, a.idle_timeout_s)
    reference = summary(one, scenario)
    print(f"\nthe reference, 1 room × {a.students} students ({how_one}):")
    report("room-1", reference)

    rooms_mid, one_mid = float(np.median(together["rates"])), float(np.median(reference["rates"]))
    ratio = rooms_mid / one_mid if one_mid > 0 else float("nan")
    print(f"\nper-student ring8 steps/s, {a.rooms} rooms ÷ 1 room: {ratio:.2f} ({rooms_mid:.1f} vs {one_mid:.1f}); "
          f"every student trained within 5 s: {together['first_step_s'][1] <= 5.0}; tick and slider p95 ≤ 300 ms: "
          f"{max(together['tick_ms'][1], together['slider_ms'][1]) <= 300}; errors: {together['errors']}")


if __name__ == "__main__":
    main()
