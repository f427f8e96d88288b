"""A classroom against a real launch: N simulated students through gradio_client, scheduled below the server.

The server is ``python app.py`` as a host starts it (no extra settings but the port and a short idle timeout, so
that the leave check does not take 15 minutes). Each student opens the page (a first tick), presses Start with the
page's defaults for their dataset (ring8, or mnist_10k for the share given by ``--mnist-share``; the "saturation"
lesson, paced at 10 steps/s, for ``--lesson-share``), polls as the page's Timer does (the status tick, at the
interval the tick returns; the plots are fetched when the tick says there is a new frame, as the page's
frame.change does), and moves a z slider every few seconds. Like a browser, a student's controls take the values the
server sends back (the classroom sizes Start and Reset return, the sizes of a run the server moved into the class).
The clients run in a few worker processes at nice 19, below the server, as remote browsers would run elsewhere.

How the class behaves, by scenario (``--scenarios``, each run as a class of its own):

- ``sync``: every student opens the page, waits for the whole class, and presses Start at the same instant; nobody
  changes anything afterwards (the benchmark as it was).
- ``staggered``: students arrive one after another over ``--arrive-over-s`` seconds, with no barrier: each presses
  Start as soon as the page is open, so the first few start before the classroom mode is on.
- ``churn``: as ``staggered``, and then, at random moments while the whole class trains, a third of the students
  change a learning rate (lr_g) live and a sixth press Reset and then Start. A live change is what the page sends:
  ``/set_setting`` where the app has it; an app from before it (``--base``) only takes one through Start with the
  changed controls, so its students do that.

Every student trains until the same moment, ``--seconds`` after the last one arrived. It reports, per scenario:

- students whose run trained, and the slowest time from Start to the first step;
- steps/s per student over the window in which the whole class trains (from 10 s after the last arrival to the end;
  from ``min(20, seconds / 3)`` for ``sync``): ring8 at the page's default sizes (the runs the fairness rule covers:
  not lessons, which are paced, and not sizes a student chose), min, median and slowest ÷ median; mnist_10k and
  the lesson runs alike, each dataset apart;
- class steps: every step any student's run took in that window, a run started again by Reset counting from 0;
- tick and slider answers at the client, p50 and p95, plot redraws, and any error responses;
- server cores used (its CPU time over the window), peak RSS, and threads and processes: idle baseline, peak, and
  (``--leave-check``) after everyone left and the idle timeout passed, against the same count after one student
  trained and left. The server is the web process and its children (the training worker, ganapp.service.worker), summed;
- the clients' own CPU, so that a reader can see how much of the machine the simulated browsers took.

Ratios, printed at the end: with ``--base REV``, every scenario runs on that commit too (a git worktree of it,
served the same way), in the same invocation, and each figure of this checkout is printed as a ratio to the base's:
the machine's own speed varies twofold from hour to hour, ratios measured the same hour do not. With ``churn`` and
``staggered`` both, churn's class steps as a ratio to staggered's (what churn costs the class). The first class size
given is the reference for the others' per-student speed. The app measured first runs slower (an A/A run, the base
set to this checkout's own commit, measured 0.78 of the steps/s): ``--abba`` measures this, base, base, this and
compares each app's mean of its two runs.

Nice weights count per thread, so dozens of client threads at nice 19 still take a good share of the CPU from the
server. ``--client-cgroup`` (root, cgroup v1) also puts the clients in a cpu cgroup of the least weight: together
they then use only what the server leaves, as remote browsers would.

    python benchmarks/classroom.py --students 1,10,30 [--seconds 90] [--mnist-share 0.5] [--leave-check]
        [--client-cgroup] [--in-process]
    python benchmarks/classroom.py --students 30 --seconds 120 --scenarios sync,staggered,churn --arrive-over-s 40
        --base 47be3c4
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# gradio_client posts each call through a new httpx client, and with verification on each builds an SSL context from
# certifi's bundle: about 40 ms of CPU per call, TLS or not. 30 such students took 1.7 of the 2 cores from the server
# and answered in 0.8 s against a Gradio app that does nothing. A browser keeps its connection; the server is plain
# http on 127.0.0.1 here, so there is nothing to verify.
CLIENT_KW = dict(verbose=False, ssl_verify=False)
STEP_RE = re.compile(r"(?:step|第) ([\d,]+)")
NO_DIRECTIONS = [0.0] * 6 + [None, 0.0]  # the Explore tab's direction sliders at 0, no saved direction
SCENARIOS = ("sync", "staggered", "churn")
LESSON = "saturation"  # the lesson students of --lesson-share take: ring8, paced at 10 steps/s
CHURN_LR_G = 5e-4  # the learning rate a churning student sets (the page's default is 1e-3)
RESET_TO_START_S = 1.5  # a student who presses Reset presses Start this long after
SIZE_FIELDS = ("g_width", "d_width", "batch_size")  # what Start and Reset send back in classroom mode


def page_controls(dataset: str) -> list:
    """The Train tab's controls as the page fills them for ``dataset`` (the handlers' CONTROL_FIELDS order)."""
    from ganapp.gan.config import GANConfig
    from ganapp.ui.handlers import CONTROL_FIELDS

    c = GANConfig.default_for(dataset)
    return [None if f == "data_files" else "scratch" if f == "init" else getattr(c, f) for f in CONTROL_FIELDS]


def control_index(field: str) -> int:
    from ganapp.ui.handlers import CONTROL_FIELDS

    return CONTROL_FIELDS.index(field)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants now, from /proc (Linux)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def server_status(pid: int) -> dict[str, int]:
    """Threads, RSS (kB) and processes of the server and its children, summed."""
    out = {"Threads": 0, "VmRSS": 0, "Processes": 0}
    for p in process_tree(pid):
        try:
            st = proc_status(p)
        except OSError:  # it ended meanwhile
            continue
        out["Threads"] += st.get("Threads", 0)
        out["VmRSS"] += st.get("VmRSS", 0)
        out["Processes"] += 1
    return out


def proc_status(pid: int) -> dict[str, int]:
    """Threads and RSS (kB) of a process, from /proc (Linux)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Threads", "VmRSS"):
            out[key] = int(value.split()[0])
    return out


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its live children, from /proc/PID/stat."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def endpoints(client) -> set[str]:
    return set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])


def page_tick(client) -> str:
    """The endpoint the page's Timer calls: /tick (status + frame number); an app from before the tick existed
    polled /poll instead."""
    return "/tick" if "/tick" in endpoints(client) else "/poll"


@dataclass
class Plan:
    """One student's part in a class (the same for every app measured, from one seed).

    Attributes:
        dataset: ring8 or mnist_10k; None for a student who only watches (``--watch-only``).
        lesson: takes the paced lesson (LESSON) instead of the page's defaults.
        arrive_s: when the page opens, seconds after the class began (0 for ``sync``, which waits for everyone).
        lr_change_s: when the student changes lr_g live, seconds after the class began; None: never.
        reset_s: when the student presses Reset (then Start), seconds after the class began; None: never.
        seed: the student's own random numbers (slider moves).
    """

    dataset: str | None
    lesson: bool
    arrive_s: float
    lr_change_s: float | None
    reset_s: float | None
    seed: int


@dataclass
class Scenario:
    """How a class behaves (see the module). ``end_s``: when every student stops, seconds after the class began;
    ``window``: (start, end) of the steady window, in the same clock."""

    name: str
    barrier: bool
    arrive_over_s: float
    churn: bool
    seconds: float

    @property
    def end_s(self) -> float:
        return self.arrive_over_s + self.seconds

    @property
    def window(self) -> tuple[float, float]:
        settle = min(20.0, self.seconds / 3) if self.barrier else min(10.0, self.seconds / 3)
        return self.arrive_over_s + settle, self.end_s


def class_plan(n: int, scenario: Scenario, mnist_share: float, lesson_share: float, watch_only: bool,
               seed: int = 0) -> list[Plan]:
    """Who does what: the first ``mnist_share`` of the class on mnist_10k and the next ``lesson_share`` on the
    lesson, arriving in a shuffled order (so that early arrivals are of every kind); with churn, a third of the
    students change lr_g and a sixth (others) press Reset then Start, at random moments of the steady window."""
    rng = np.random.default_rng(seed)
    n_mnist, n_lesson = int(round(n * mnist_share)), int(round(n * lesson_share))
    kinds = [("mnist_10k", False)] * n_mnist + [("ring8", True)] * n_lesson + [("ring8", False)] * (n - n_mnist - n_lesson)
    order = rng.permutation(n)
    w0, w1 = scenario.window
    churners = rng.permutation(n)
    lr_changers = set(churners[:n // 3].tolist()) if scenario.churn else set()
    resetters = set(churners[n // 3:n // 3 + n // 6].tolist()) if scenario.churn else set()
    plans = []
    for i, (dataset, lesson) in enumerate(kinds):
        arrive = 0.0 if scenario.barrier or n == 1 else scenario.arrive_over_s * order[i] / (n - 1)
        moment = lambda: float(rng.uniform(w0 + 5, max(w0 + 5, w1 - 15)))  # noqa: E731
        plans.append(Plan(None if watch_only else dataset, lesson and not watch_only, arrive,
                          moment() if i in lr_changers else None, moment() if i in resetters else None, i))
    return plans


def steps_trained(polls: list[tuple[float, int]], t0: float = -np.inf, t1: float = np.inf) -> int:
    """Steps a student's runs took between the polls at ``t0`` and ``t1``, from their (time, step) polls: a step
    count that falls means a new run (Reset), whose steps count from 0."""
    inside = [(t, s) for t, s in polls if t0 <= t <= t1]
    total = 0
    for (_, a), (_, b) in zip(inside, inside[1:]):
        total += b - a if b >= a else b
    return total


def rate(polls: list[tuple[float, int]], t0: float, t1: float) -> float:
    """Steps/s between the first poll at or after ``t0`` and the last one at or before ``t1``."""
    inside = [(t, s) for t, s in polls if t0 <= t <= t1]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return 0.0
    return steps_trained(inside) / (inside[-1][0] - inside[0][0])


def student(url: str, plan: Plan, scenario: Scenario, ready: mp.Queue, go, results: list) -> None:
    """One student (see the module): open the page, press Start, watch, move a slider now and then, and churn as
    ``plan`` says. Times are kept from the moment the class began (``go``)."""
    from gradio_client import Client

    from ganapp.gan.presets import CLASSROOM_2D

    rng = np.random.default_rng(plan.seed)
    out = {"dataset": plan.dataset, "lesson": plan.lesson, "polls_ms": [], "draws_ms": [], "sliders_ms": [],
           "errors": 0, "steps": [], "start_s": None, "first_step_s": None, "resets": 0, "lr_changes": 0}

    def fail(e: Exception) -> None:
        out["errors"] += 1
        out["error"] = repr(e)

    c = None
    controls = page_controls(plan.dataset) if plan.dataset is not None else None  # imports the app's settings now
    if scenario.barrier:  # the page is open before the class starts
        try:
            c = Client(url, **CLIENT_KW)
            apis = endpoints(c)
            c.predict("en", api_name=page_tick(c))
        except Exception as e:  # noqa: BLE001 (a failure to connect is counted, not raised)
            fail(e)
    ready.put(1)
    go.wait()
    t0 = time.perf_counter()
    clock = lambda: time.perf_counter() - t0  # noqa: E731
    if c is None and not scenario.barrier:
        time.sleep(max(0.0, plan.arrive_s - clock()))
        try:
            c = Client(url, **CLIENT_KW)
            apis = endpoints(c)
        except Exception as e:  # noqa: BLE001
            fail(e)
    if c is None:
        results.append(out)
        return
    tick_api = "/tick" if "/tick" in apis else "/poll"

    def take(values) -> None:  # the values Start or Reset send back to the size controls, as the page takes them
        for field, value in zip(SIZE_FIELDS, values or ()):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                controls[control_index(field)] = int(value)

    def start() -> None:
        take(c.predict("en", 0, *controls, api_name="/start"))

    try:
        c.predict("en", api_name=tick_api)  # the page is open: the server sees a visitor
        if plan.lesson:  # the lesson fills the controls; Start then runs it, paced
            values = c.predict("en", LESSON, api_name="/lesson")
            controls[:len(values) - 3] = values[:-3]
        if controls is not None:  # None: the control run, a class that watches without training
            out["start_s"] = clock()
            start()
    except Exception as e:  # noqa: BLE001
        fail(e)
    next_slider = clock() + rng.uniform(2, 5)
    last_frame, every_s, moves = None, 0.5, 0
    lr_change_s, reset_s, start_again_s = plan.lr_change_s, plan.reset_s, None
    while (now := clock()) < scenario.end_s:
        try:
            t_call = time.perf_counter()
            answer = c.predict("en", api_name=tick_api)
            status, frame = answer[:2]
            # the page's Timer takes the interval the tick returns (its 4th output); an older app's poll has none
            every_s = float(answer[3]) if tick_api == "/tick" and len(answer) > 3 and answer[3] else 0.5
            if len(answer) > 4 and isinstance(answer[4], (int, float)) and answer[4] > moves:
                moves = answer[4]  # the server moved the run into the class's sizes: the page shows them
                take([CLASSROOM_2D[f] for f in SIZE_FIELDS])
            out["polls_ms"].append((time.perf_counter() - t_call) * 1000)
            if tick_api == "/tick" and frame is not None and frame != last_frame:  # frame.change: fetch the plots
                last_frame = frame
                t_call = time.perf_counter()
                c.predict("en", api_name="/poll")
                out["draws_ms"].append((time.perf_counter() - t_call) * 1000)
            m = STEP_RE.search(status or "")
            step = int(m.group(1).replace(",", "")) if m else 0
            out["steps"].append((clock(), step))
            if step > 0 and out["first_step_s"] is None and out["start_s"] is not None:
                out["first_step_s"] = clock() - out["start_s"]
            if now >= next_slider:
                sliders = rng.uniform(-3, 3, 8).round(2).tolist()
                t_call = time.perf_counter()
                c.predict("en", "training", 0, 1.0, 0, *sliders, *NO_DIRECTIONS, api_name="/explore")
                out["sliders_ms"].append((time.perf_counter() - t_call) * 1000)
                next_slider = clock() + rng.uniform(3, 6)
            if lr_change_s is not None and now >= lr_change_s:  # a learning rate changed mid-run, as the page sends it
                lr_change_s = None
                controls[control_index("lr_g")] = CHURN_LR_G
                if "/set_setting" in apis:
                    c.predict("en", "lr_g", CHURN_LR_G, api_name="/set_setting")
                else:  # an app from before /set_setting: the changed controls through Start
                    start()
                out["lr_changes"] += 1
            if reset_s is not None and now >= reset_s:
                reset_s, start_again_s = None, now + RESET_TO_START_S
                take(c.predict("en", *controls, api_name="/reset"))
                out["resets"] += 1
            if start_again_s is not None and now >= start_again_s:
                start_again_s = None
                start()
        except Exception as e:  # noqa: BLE001
            fail(e)
        time.sleep(max(0.0, every_s - (clock() - now)))  # the page's Timer
    c.close()
    results.append(out)


CLIENT_CGROUP = Path("/sys/fs/cgroup/cpu/ganapp-bench-clients")  # cgroup v1's cpu controller


def client_cgroup() -> Path | None:
    """A cpu cgroup (v1) with the least weight there is (cpu.shares 2, against 1024 for each server thread), so the
    clients as a whole run on what the server leaves, however many threads they have; None where this machine does
    not let us make one (not root, or cgroup v2 only)."""
    try:
        CLIENT_CGROUP.mkdir(exist_ok=True)
        (CLIENT_CGROUP / "cpu.shares").write_text("2")
        return CLIENT_CGROUP
    except OSError:
        return None


def worker(url: str, plans: list[Plan], scenario: Scenario, ready: mp.Queue, go, out: mp.Queue,
           cgroup: Path | None = None, nice: int = 19) -> None:
    """A client process at nice 19, below the server, running some of the students in threads. Nice weights count
    per thread: at nice 10, the dozens of client threads took 71% of the CPU from the server; SCHED_IDLE starved the
    clients whenever the engine filled both cores (3 students: 9.7 s per answer at the client). With ``cgroup``
    (see :func:`client_cgroup`), the process also joins it: its threads then weigh as one small share together.
    ``nice``: 19 unless the machine is loaded by others (see ``--client-nice``)."""
    os.nice(nice)
    if cgroup is not None:
        (cgroup / "cgroup.procs").write_text(str(os.getpid()))
    results: list[dict] = []
    threads = [threading.Thread(target=student, args=(url, plan, scenario, ready, go, results)) for plan in plans]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out.put(results)


def counts_after_a_visit(url: str, pid: int, wait_s: float = 0.0) -> dict[str, int]:
    """The server's threads, RSS and processes after ``wait_s`` and then one page tick of a fresh visitor. The web
    server's worker-thread pool (anyio) retires idle threads only when it is next used, so a count after everyone
    left is read after one fresh request. ``wait_s``: the idle timeout, the reaper and the engine's idle exit."""
    from gradio_client import Client

    time.sleep(wait_s)
    visitor = Client(url, **CLIENT_KW)
    visitor.predict("en", api_name=page_tick(visitor))
    visitor.close()
    time.sleep(2)
    return server_status(pid)


def student_left(url: str, pid: int, idle_timeout_s: float) -> dict[str, int]:
    """The counts after one student pressed Start on ring8, trained 5 s and left (as :func:`counts_after_a_visit`
    reads them after the class leaves)."""
    from gradio_client import Client

    c = Client(url, **CLIENT_KW)
    tick_api = page_tick(c)
    c.predict("en", api_name=tick_api)
    c.predict("en", 0, *page_controls("ring8"), api_name="/start")
    for _ in range(10):
        c.predict("en", api_name=tick_api)
        time.sleep(0.5)
    c.close()
    return counts_after_a_visit(url, pid, wait_s=idle_timeout_s + 60)


def run_class(n: int, scenario: Scenario, mnist_share: float, lesson_share: float, leave_check: bool,
              idle_timeout_s: float, app_dir: Path = ROOT, watch_only: bool = False,
              server_env: dict[str, str] | None = None, cgroup: Path | None = None, client_nice: int = 19) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1",
               GANAPP_IDLE_TIMEOUT_S=str(idle_timeout_s), GRADIO_ANALYTICS_ENABLED="False", **(server_env or {}))
    server = subprocess.Popen([sys.executable, "app.py"], cwd=app_dir, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the server did not come up: {server.stderr.read()[-2000:]}") from None
                time.sleep(0.5)
        time.sleep(3)  # let the warm-up import finish
        # the baseline is read after one visitor's page tick, as "after leaving" is: a server that has answered a
        # request keeps a web worker thread
        baseline = counts_after_a_visit(url, server.pid)
        # with --leave-check, also after one student trained and left: a web thread that has called the training
        # worker keeps its connection to it, served by a thread there (the steady state a class is compared with)
        one_left = student_left(url, server.pid, idle_timeout_s) if leave_check else None
        plans = class_plan(n, scenario, mnist_share, lesson_share, watch_only)
        n_workers = min(n, 6)
        ctx = mp.get_context("spawn")
        ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(url, plans[w::n_workers], scenario, ready, go, out, cgroup,
                                                  client_nice)) for w in range(n_workers)]
        for p in procs:
            p.start()
        for _ in range(n):
            ready.get(timeout=300)
        peak = {"VmRSS": 0, "Threads": 0, "Processes": 0}
        client_cpu0 = client_cpu1 = sum(cpu_s(p.pid) for p in procs)
        go.set()
        t0 = time.perf_counter()
        w0, w1 = scenario.window
        cpu0 = cpu1 = None
        client_t1 = t0
        while any(p.is_alive() for p in procs) and time.perf_counter() - t0 < scenario.end_s + 120:
            now = time.perf_counter() - t0
            if cpu0 is None and now >= w0:  # the server's CPU over the window in which the whole class trains
                cpu0, cpu_t0 = cpu_s(server.pid), time.perf_counter()
            if cpu0 is not None and cpu1 is None and now >= w1:
                cpu1, cpu_t1 = cpu_s(server.pid), time.perf_counter()
            st = server_status(server.pid)
            peak = {k: max(peak[k], st[k]) for k in peak}
            if all(p.is_alive() for p in procs) and out.qsize() == 0:  # the clients' CPU, while every one is in class
                client_cpu1, client_t1 = sum(cpu_s(p.pid) for p in procs), time.perf_counter()
            time.sleep(1.0)
            if out.qsize() >= len(procs):
                break
        if cpu0 is None:
            cpu0, cpu_t0 = cpu_s(server.pid), t0
        if cpu1 is None:
            cpu1, cpu_t1 = cpu_s(server.pid), time.perf_counter()
        results = [r for _ in procs for r in out.get(timeout=300)]
        for p in procs:
            p.join(10)
        after = None
        if leave_check:
            after = counts_after_a_visit(url, server.pid, wait_s=idle_timeout_s + 60)
    finally:
        server.terminate()
        server.wait(30)
    kinds = {"ring8": [r for r in results if r["dataset"] == "ring8" and not r["lesson"]],
             "mnist_10k": [r for r in results if r["dataset"] == "mnist_10k"],
             "lesson": [r for r in results if r["lesson"]]}
    rates = {k: [rate(r["steps"], w0, w1) for r in rs] for k, rs in kinds.items()}
    polls = np.concatenate([r["polls_ms"] for r in results] or [[np.nan]])
    sliders = np.concatenate([r["sliders_ms"] for r in results] or [[np.nan]])
    draws = np.concatenate([r["draws_ms"] for r in results] or [[np.nan]])
    firsts = [r["first_step_s"] for r in results if r["first_step_s"] is not None]
    return {
        "students": n, "mnist": len(kinds["mnist_10k"]), "lessons": len(kinds["lesson"]),
        "ever_running": sum(1 for r in results if r["steps"] and max(s for _, s in r["steps"]) > 0),
        "first_step_s_max": max(firsts) if firsts else float("nan"),
        "rates": rates,
        "class_steps": sum(steps_trained(r["steps"], w0, w1) for r in results),
        "window_s": w1 - w0,
        "resets": sum(r["resets"] for r in results), "lr_changes": sum(r["lr_changes"] for r in results),
        "poll_ms": (np.nanpercentile(polls, 50), np.nanpercentile(polls, 95)),
        "slider_ms": (np.nanpercentile(sliders, 50), np.nanpercentile(sliders, 95)),
        "draw_ms": (np.nanpercentile(draws, 50), np.nanpercentile(draws, 95)),
        "errors": sum(r["errors"] for r in results),
        "error_sample": next((r["error"] for r in results if "error" in r), ""),
        "cores": (cpu1 - cpu0) / max(cpu_t1 - cpu_t0, 1e-9),
        "client_cores": (client_cpu1 - client_cpu0) / max(client_t1 - t0, 1e-9),
        "rss_mb": peak["VmRSS"] / 1024,
        "threads": (baseline["Threads"], peak["Threads"], after["Threads"] if after else None,
                    one_left["Threads"] if one_left else None),
        "processes": (baseline["Processes"], peak["Processes"], after["Processes"] if after else None,
                      one_left["Processes"] if one_left else None),
    }


def spread(values: list[float]) -> tuple[float, float, float]:
    """(min, median, min ÷ median) of steps/s, NaN for none."""
    if not values:
        return float("nan"), float("nan"), float("nan")
    low, mid = min(values), float(np.median(values))
    return low, mid, low / mid if mid > 0 else float("nan")


def report(label: str, r: dict, reference: float | None, reference_n: int) -> None:
    """Print one class's figures."""
    n = r["students"]
    print(f"\n{label}: {n} students ({r['mnist']} on mnist_10k, {r['lessons']} on the paced lesson):")
    print(f"  ever running {r['ever_running']} of {n}; Start to first step ≤ {r['first_step_s_max']:.1f} s")
    low, mid, fair = spread(r["rates"]["ring8"])
    ratio = f"{mid / reference:.2f}" if reference and mid == mid else "n/a"
    print(f"  ring8 at the page's default sizes, steps/s per student: min {low:.1f}, median {mid:.1f}, slowest ÷ "
          f"median {fair:.2f} (median's ratio to the {reference_n}-student reference: {ratio})")
    for kind in ("mnist_10k", "lesson"):
        if r["rates"][kind]:
            low, mid, fair = spread(r["rates"][kind])
            print(f"  {kind} steps/s per student: min {low:.2f}, median {mid:.2f}, slowest ÷ median {fair:.2f}")
    print(f"  class steps in the {r['window_s']:.0f} s window in which the whole class trained: {r['class_steps']:,}"
          f" ({r['lr_changes']} live learning-rate changes, {r['resets']} Reset + Start)")
    print(f"  tick p50/p95 {r['poll_ms'][0]:.0f}/{r['poll_ms'][1]:.0f} ms; plot redraw p50/p95 "
          f"{r['draw_ms'][0]:.0f}/{r['draw_ms'][1]:.0f} ms; slider p50/p95 "
          f"{r['slider_ms'][0]:.0f}/{r['slider_ms'][1]:.0f} ms; errors {r['errors']} {r['error_sample']}")
    for what in ("threads", "processes"):
        base, peak, after, one_left = r[what]
        print(f"  server {what}: idle {base} / peak {peak}" + (f" / after leaving {after} (after one student "
                                                              f"trained and left: {one_left})" if after else ""))
    print(f"  server: {r['cores']:.2f} cores, peak RSS {r['rss_mb']:.0f} MB; clients: {r['client_cores']:.2f} cores")


def figures(r: dict) -> dict[str, float]:
    """The figures compared across apps and scenarios."""
    ring8 = spread(r["rates"]["ring8"])
    return {"ring8 median steps/s": ring8[1], "ring8 slowest steps/s": ring8[0], "ring8 slowest ÷ median": ring8[2],
            "class steps": float(r["class_steps"]), "tick p95 ms": r["poll_ms"][1],
            "slider p95 ms": r["slider_ms"][1], "errors": float(r["errors"])}


def base_worktree(rev: str) -> Path:
    """A git worktree of ``rev`` beside the temporary files (made once, then reused), to serve its app.py."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"ganapp-base-{sha}"
    if not (path / "app.py").is_file():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), sha], cwd=ROOT, check=True,
                       capture_output=True)
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", default="1,10,30", help="class sizes, comma-separated; the first is the reference")
    p.add_argument("--seconds", type=float, default=90.0,
                   help="how long each class trains once the last student has arrived")
    p.add_argument("--scenarios", default="sync", help=f"comma-separated, of {', '.join(SCENARIOS)} (see above)")
    p.add_argument("--arrive-over-s", type=float, default=40.0,
                   help="staggered and churn: the students arrive one after another over this many seconds")
    p.add_argument("--mnist-share", type=float, default=0.0, help="share of students on mnist_10k (the rest ring8)")
    p.add_argument("--lesson-share", type=float, default=0.0,
                   help=f"share of students who take the paced lesson '{LESSON}' (ring8 at 10 steps/s)")
    p.add_argument("--base", default=None,
                   help="also run every class on this commit (a git worktree of it), and print ratios to it")
    p.add_argument("--abba", action="store_true",
                   help="with --base: measure this, base, base, this for each class and take each app's mean, so that "
                        "the order of the runs (the first one measured runs slower) weighs on both alike")
    p.add_argument("--leave-check", action="store_true", help="after the largest class, wait for the threads to go")
    p.add_argument("--idle-timeout-s", type=float, default=20.0, help="the server's GANAPP_IDLE_TIMEOUT_S")
    p.add_argument("--watch-only", action="store_true",
                   help="the control run: students poll and move sliders but never press Start")
    p.add_argument("--client-cgroup", action="store_true",
                   help="also put the clients in a cpu cgroup of the least weight (root, cgroup v1): they then use only "
                        "what the server leaves, as remote browsers would")
    p.add_argument("--client-nice", type=int, default=19,
                   help="the clients' nice level: 19, below the server; on a machine that others load, nice-19 "
                        "clients barely run and arrive late (0 lets them, at the server's expense: a smoke test)")
    p.add_argument("--in-process", action="store_true",
                   help="train in the web server's process (GANAPP_WORKER=0), as before the training worker")
    p.add_argument("--app-dir", type=Path, default=ROOT,
                   help="the checkout whose app.py is served (e.g. a worktree of an older commit, for 'before')")
    a = p.parse_args()
    sizes = [int(s) for s in a.students.split(",")]
    names = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    if not names or any(s not in SCENARIOS for s in names):
        p.error(f"--scenarios takes a comma-separated list of {', '.join(SCENARIOS)}")
    cgroup = client_cgroup() if a.client_cgroup else None
    if a.client_cgroup and cgroup is None:
        print("no cpu cgroup could be made here (root and cgroup v1 are needed): clients at nice 19 only")
    apps = [("this", a.app_dir.resolve())] + ([(f"base {a.base}", base_worktree(a.base))] if a.base else [])
    print(f"server: python app.py on {os.cpu_count()} cores; clients at nice {a.client_nice}"
          f"{' in a cpu cgroup of weight 2' if cgroup else ''}; {a.seconds:g} s a class after the last arrival"
          f"{f', arrivals over {a.arrive_over_s:g} s' if set(names) - {'sync'} else ''}; mnist share "
          f"{a.mnist_share:g}, lesson share {a.lesson_share:g}; apps: "
          + ", ".join(f"{label} ({path})" for label, path in apps))
    server_env = {"GANAPP_WORKER": "0"} if a.in_process else None
    measured: dict[tuple[str, str, int], dict[str, float]] = {}  # each app's mean over its runs of one class
    runs: dict[tuple[str, str, int], list[dict[str, float]]] = {}
    order = apps + apps[::-1] if a.abba and a.base else apps  # ABBA: each app once early and once late
    for i, n in enumerate(sizes):
        for name in names:
            scenario = Scenario(name, name == "sync", 0.0 if name == "sync" else a.arrive_over_s, name == "churn",
                                a.seconds)
            for label, app_dir in order:  # the apps one after the other, for each class: the same hour for both
                r = run_class(n, scenario, a.mnist_share, a.lesson_share, a.leave_check and i == len(sizes) - 1,
                              a.idle_timeout_s, app_dir, a.watch_only, server_env, cgroup, a.client_nice)
                key = (label, name, sizes[0])
                reference = measured[key]["ring8 median steps/s"] if key in measured and n != sizes[0] else None
                report(f"{name}, {label}", r, reference, sizes[0])
                done = runs.setdefault((label, name, n), [])
                done.append(figures(r))
                measured[(label, name, n)] = {k: sum(f[k] for f in done) / len(done) for k in done[0]}
    if a.base or {"churn", "staggered"} <= set(names):
        print("\nRatios (measured in this invocation" + ("; each app's mean of its two runs, in the order this, base, "
                                                        "base, this)" if a.abba and a.base else ")") + ":")
    for n in sizes:
        for name in names:
            mine = measured[("this", name, n)]
            if a.base:
                base = measured[(f"base {a.base}", name, n)]
                print(f"  {n} students, {name}, this ÷ base {a.base}: " + "; ".join(
                    f"{k} {mine[k] / base[k]:.2f}" for k in mine if k != "errors" and base[k] > 0)
                    + f"; errors {mine['errors']:.0f} (base {base['errors']:.0f})")
        if "churn" in names and "staggered" in names:
            for label, _ in apps:
                churn, calm = measured[(label, "churn", n)], measured[(label, "staggered", n)]
                print(f"  {n} students, {label}: class steps with churn ÷ without "
                      f"{churn['class steps'] / max(calm['class steps'], 1):.2f}")


if __name__ == "__main__":
    main()
