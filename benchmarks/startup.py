"""`python app.py` → page served (target ≤ 8 s).

Starts the app in a subprocess and times until GET / answers 200. The reference is a subprocess that only imports
torch and gradio, timed the same way in the same run; the script prints both and their ratio.

    python benchmarks/startup.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from _common import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_app(timeout_s: float = 60.0) -> float:
    port = free_port()
    env = os.environ | {"GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
                        "GRADIO_ANALYTICS_ENABLED": "False"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < timeout_s:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"app.py did not serve within {timeout_s} s")
    finally:
        proc.terminate()
        proc.wait(10)


def time_imports() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch, gradio"], check=True)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    app_s, imports_s = [], []
    for _ in range(a.rounds):
        imports_s.append(time_imports())
        app_s.append(time_app())
    app_med, imp_med = statistics.median(app_s), statistics.median(imports_s)
    print(f"python app.py -> page served: median {app_med:.2f} s over {a.rounds} runs "
          f"(max {max(app_s):.2f} s; target <= 8 s)")
    print(f"reference, import torch and gradio only: median {imp_med:.2f} s")
    print(f"ratio app / imports = {app_med / imp_med:.2f}")


if __name__ == "__main__":
    main()
