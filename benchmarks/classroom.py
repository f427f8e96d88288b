"""A classroom against a real launch: N simulated students through gradio_client, scheduled below the server.

The server is ``python app.py`` as a host starts it (no extra settings but the port and a short idle timeout, so
that the leave check does not take 15 minutes). Every student opens the page (a first poll), then, once the whole
class is there, presses Start with the page's defaults for their dataset (ring8, or mnist_10k for the share given
by ``--mnist-share``), polls as the page's Timer does (the status tick, at the interval the tick returns; the plots are fetched when the tick says there is a new frame, as the page's
frame.change does), and moves a z slider every few seconds. The clients
run in a few worker processes at nice 19, below the server, as remote browsers would run elsewhere. It reports:

- sessions ever running (a step count above 0 within the run), and the time from Start to the first step;
- steps/s per student over the steady part of the run (min and median), read from the status line the page polls;
- poll and slider answers at the client, p50 and p95, and any error responses;
- server cores used (its CPU time over the window), peak RSS, and threads and processes: idle baseline, peak, and
  (``--leave-check``) after everyone left and the idle timeout passed, against the same count after one student
  trained and left. The server is the web process and its children (the training worker, ganapp.worker), summed.
- the clients' own CPU, so that a reader can see how much of the machine the simulated browsers took.

The first class size given is the reference: each later one prints its per-student speed as a ratio to it.

Nice weights count per thread, so dozens of client threads at nice 19 still take a good share of the CPU from the
server. ``--client-cgroup`` (root, cgroup v1) also puts the clients in a cpu cgroup of the least weight: together
they then use only what the server leaves, as remote browsers would.

    python benchmarks/classroom.py --students 1,10,30 [--seconds 90] [--mnist-share 0.5] [--leave-check]
        [--client-cgroup] [--in-process]
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


def page_controls(dataset: str) -> list:
    """The Train tab's controls as the page fills them for ``dataset`` (the handlers' CONTROL_FIELDS order)."""
    from ganapp.config import GANConfig
    from ganapp.ui.handlers import CONTROL_FIELDS

    c = GANConfig.default_for(dataset)
    return [None if f == "data_files" else "scratch" if f == "init" else getattr(c, f) for f in CONTROL_FIELDS]


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


def page_tick(client) -> str:
    """The endpoint the page's Timer calls: /tick (status + frame number); an app from before the tick existed
    polled /poll instead."""
    return "/tick" if "/tick" in client.view_api(print_info=False, return_format="dict")["named_endpoints"] \
        else "/poll"


def student(url: str, dataset: str | None, seconds: float, ready: mp.Queue, go, results: list, seed: int) -> None:
    """One student: open the page, wait for the class, press Start, watch and move a slider now and then."""
    from gradio_client import Client

    rng = np.random.default_rng(seed)
    out = {"dataset": dataset, "polls_ms": [], "draws_ms": [], "sliders_ms": [], "errors": 0, "steps": [], "first_step_s": None}
    try:
        c = Client(url, **CLIENT_KW)
        tick_api = page_tick(c)
        c.predict("en", api_name=tick_api)  # the page is open: the server sees a visitor
    except Exception as e:  # noqa: BLE001 (a failure to connect is counted, not raised)
        out["errors"] += 1
        out["error"] = repr(e)
        ready.put(1)
        results.append(out)
        return
    ready.put(1)
    go.wait()
    controls = page_controls(dataset) if dataset is not None else None
    t_start = time.perf_counter()
    try:
        if dataset is not None:  # None: the control run, a class that watches without training
            c.predict("en", 0, *controls, api_name="/start")
    except Exception as e:  # noqa: BLE001
        out["errors"] += 1
        out["error"] = repr(e)
    next_slider = t_start + rng.uniform(2, 5)
    last_frame, every_s = None, 0.5
    end = t_start + seconds
    while (now := time.perf_counter()) < end:
        try:
            t0 = time.perf_counter()
            answer = c.predict("en", api_name=tick_api)
            status, frame = answer[:2]
            # the page's Timer takes the interval the tick returns (its 4th output); an older app's poll has none
            every_s = float(answer[3]) if tick_api == "/tick" and len(answer) > 3 and answer[3] else 0.5
            out["polls_ms"].append((time.perf_counter() - t0) * 1000)
            if tick_api == "/tick" and frame is not None and frame != last_frame:  # frame.change: fetch the plots
                last_frame = frame
                t0 = time.perf_counter()
                c.predict("en", api_name="/poll")
                out["draws_ms"].append((time.perf_counter() - t0) * 1000)
            m = STEP_RE.search(status or "")
            step = int(m.group(1).replace(",", "")) if m else 0
            out["steps"].append((time.perf_counter() - t_start, step))
            if step > 0 and out["first_step_s"] is None:
                out["first_step_s"] = time.perf_counter() - t_start
            if now >= next_slider:
                sliders = rng.uniform(-3, 3, 8).round(2).tolist()
                t0 = time.perf_counter()
                c.predict("en", "training", 0, 1.0, 0, *sliders, *NO_DIRECTIONS, api_name="/explore")
                out["sliders_ms"].append((time.perf_counter() - t0) * 1000)
                next_slider = time.perf_counter() + rng.uniform(3, 6)
        except Exception as e:  # noqa: BLE001
            out["errors"] += 1
            out["error"] = repr(e)
        time.sleep(max(0.0, every_s - (time.perf_counter() - now)))  # the page's Timer
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


def worker(url: str, plan: list[tuple[str, int]], seconds: float, ready: mp.Queue, go, out: mp.Queue,
           cgroup: Path | None = None) -> None:
    """A client process at nice 19, below the server, running some of the students in threads. Nice weights count
    per thread: at nice 10, the dozens of client threads took 71% of the CPU from the server; SCHED_IDLE starved the
    clients whenever the engine filled both cores (3 students: 9.7 s per answer at the client). With ``cgroup``
    (see :func:`client_cgroup`), the process also joins it: its threads then weigh as one small share together."""
    os.nice(19)
    if cgroup is not None:
        (cgroup / "cgroup.procs").write_text(str(os.getpid()))
    results: list[dict] = []
    threads = [threading.Thread(target=student, args=(url, d, seconds, ready, go, results, s)) for d, s in plan]
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


def rate(steps: list[tuple[float, int]], skip_s: float) -> float:
    """Steps/s between the first poll after ``skip_s`` and the last one."""
    later = [(t, s) for t, s in steps if t >= skip_s]
    if len(later) < 2 or later[-1][0] <= later[0][0]:
        return 0.0
    return (later[-1][1] - later[0][1]) / (later[-1][0] - later[0][0])


def run_class(n: int, seconds: float, mnist_share: float, leave_check: bool, idle_timeout_s: float,
              app_dir: Path = ROOT, watch_only: bool = False, server_env: dict[str, str] | None = None,
              cgroup: Path | None = None) -> dict:
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
        n_mnist = int(round(n * mnist_share))
        datasets = ["mnist_10k"] * n_mnist + ["ring8"] * (n - n_mnist) if not watch_only else [None] * n
        n_workers = min(n, 6)
        plans = [[(datasets[i], i) for i in range(w, n, n_workers)] for w in range(n_workers)]
        ctx = mp.get_context("spawn")
        ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(url, plan, seconds, ready, go, out, cgroup)) for plan in plans]
        for p in procs:
            p.start()
        for _ in range(n):
            ready.get(timeout=300)
        peak = {"VmRSS": 0, "Threads": 0, "Processes": 0}
        cpu0, t0 = cpu_s(server.pid), time.perf_counter()
        client_cpu0 = client_cpu1 = sum(cpu_s(p.pid) for p in procs)
        client_t1 = t0
        go.set()
        while any(p.is_alive() for p in procs) and time.perf_counter() - t0 < seconds + 120:
            st = server_status(server.pid)
            peak = {k: max(peak[k], st[k]) for k in peak}
            if all(p.is_alive() for p in procs) and out.qsize() == 0:  # the clients' CPU, while every one is in class
                client_cpu1, client_t1 = sum(cpu_s(p.pid) for p in procs), time.perf_counter()
            time.sleep(1.0)
            if out.qsize() >= len(procs):
                break
        cpu1, t1 = cpu_s(server.pid), time.perf_counter()
        results = [r for _ in procs for r in out.get(timeout=300)]
        for p in procs:
            p.join(10)
        after = None
        if leave_check:
            after = counts_after_a_visit(url, server.pid, wait_s=idle_timeout_s + 60)
    finally:
        server.terminate()
        server.wait(30)
    skip_s = min(20.0, seconds / 3)  # the steady part: after the class has started and the first frames are drawn
    rates = {d: [rate(r["steps"], skip_s) for r in results if r["dataset"] == d] for d in ("ring8", "mnist_10k")}
    polls = np.concatenate([r["polls_ms"] for r in results] or [[np.nan]])
    sliders = np.concatenate([r["sliders_ms"] for r in results] or [[np.nan]])
    draws = np.concatenate([r["draws_ms"] for r in results] or [[np.nan]])
    firsts = [r["first_step_s"] for r in results if r["first_step_s"] is not None]
    return {
        "students": n, "mnist": n_mnist,
        "ever_running": sum(1 for r in results if r["steps"] and max(s for _, s in r["steps"]) > 0),
        "first_step_s_max": max(firsts) if firsts else float("nan"),
        "rates": rates,
        "poll_ms": (np.nanpercentile(polls, 50), np.nanpercentile(polls, 95)),
        "slider_ms": (np.nanpercentile(sliders, 50), np.nanpercentile(sliders, 95)),
        "draw_ms": (np.nanpercentile(draws, 50), np.nanpercentile(draws, 95)),
        "errors": sum(r["errors"] for r in results),
        "error_sample": next((r["error"] for r in results if "error" in r), ""),
        "cores": (cpu1 - cpu0) / (t1 - t0),
        "client_cores": (client_cpu1 - client_cpu0) / max(client_t1 - t0, 1e-9),
        "rss_mb": peak["VmRSS"] / 1024,
        "threads": (baseline["Threads"], peak["Threads"], after["Threads"] if after else None,
                    one_left["Threads"] if one_left else None),
        "processes": (baseline["Processes"], peak["Processes"], after["Processes"] if after else None,
                      one_left["Processes"] if one_left else None),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", default="1,10,30", help="class sizes, comma-separated; the first is the reference")
    p.add_argument("--seconds", type=float, default=90.0, help="how long each class trains")
    p.add_argument("--mnist-share", type=float, default=0.0, help="share of students on mnist_10k (the rest ring8)")
    p.add_argument("--leave-check", action="store_true", help="after the largest class, wait for the threads to go")
    p.add_argument("--idle-timeout-s", type=float, default=20.0, help="the server's GANAPP_IDLE_TIMEOUT_S")
    p.add_argument("--watch-only", action="store_true",
                   help="the control run: students poll and move sliders but never press Start")
    p.add_argument("--client-cgroup", action="store_true",
                   help="also put the clients in a cpu cgroup of the least weight (root, cgroup v1): they then use only "
                        "what the server leaves, as remote browsers would")
    p.add_argument("--in-process", action="store_true",
                   help="train in the web server's process (GANAPP_WORKER=0), as before the training worker")
    p.add_argument("--app-dir", type=Path, default=ROOT,
                   help="the checkout whose app.py is served (e.g. a worktree of an older commit, for 'before')")
    a = p.parse_args()
    sizes = [int(s) for s in a.students.split(",")]
    cgroup = client_cgroup() if a.client_cgroup else None
    if a.client_cgroup and cgroup is None:
        print("no cpu cgroup could be made here (root and cgroup v1 are needed): clients at nice 19 only")
    print(f"server: python app.py on {os.cpu_count()} cores; clients at nice 19"
          f"{' in a cpu cgroup of weight 2' if cgroup else ''}; {a.seconds:g} s per class; "
          f"mnist share {a.mnist_share:g}")
    reference = None
    for i, n in enumerate(sizes):
        r = run_class(n, a.seconds, a.mnist_share, a.leave_check and i == len(sizes) - 1, a.idle_timeout_s,
                      a.app_dir.resolve(), a.watch_only, {"GANAPP_WORKER": "0"} if a.in_process else None, cgroup)
        ring = r["rates"]["ring8"] or [0.0]
        mnist = r["rates"]["mnist_10k"]
        reference = reference or float(np.median(ring)) or None
        ratio = f"{np.median(ring) / reference:.2f}" if reference else "n/a"
        print(f"\n{n} students ({r['mnist']} on mnist_10k):")
        print(f"  ever running {r['ever_running']} of {n}; Start to first step ≤ {r['first_step_s_max']:.1f} s")
        print(f"  ring8 steps/s per student: min {min(ring):.1f}, median {np.median(ring):.1f} "
              f"(ratio to the {sizes[0]}-student reference: {ratio})")
        if mnist:
            print(f"  mnist_10k steps/s per student: min {min(mnist):.1f}, median {np.median(mnist):.1f}")
        print(f"  poll (status tick) p50/p95 {r['poll_ms'][0]:.0f}/{r['poll_ms'][1]:.0f} ms; plot redraw p50/p95 "
              f"{r['draw_ms'][0]:.0f}/{r['draw_ms'][1]:.0f} ms; slider p50/p95 "
              f"{r['slider_ms'][0]:.0f}/{r['slider_ms'][1]:.0f} ms; errors {r['errors']} {r['error_sample']}")
        for what in ("threads", "processes"):
            base, peak, after, one_left = r[what]
            print(f"  server {what}: idle {base} / peak {peak}" + (f" / after leaving {after} (after one student "
                                                                  f"trained and left: {one_left})" if after else ""))
        print(f"  server: {r['cores']:.2f} cores, peak RSS {r['rss_mb']:.0f} MB; clients: {r['client_cores']:.2f} cores")


if __name__ == "__main__":
    main()
