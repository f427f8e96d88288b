"""benchmarks/gpu_check.py, the script for the day a GPU is lent, still runs: its ``--smoke`` sizes on the CPU.

The Ray section is left out here (starting a local Ray takes longer than the rest together); it runs with
``--smoke`` by hand, and prints a line that says so where Ray is not installed.
"""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_gpu_check_runs_at_smoke_sizes_on_the_cpu_and_prints_each_sections_result(capsys):
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    rc = gpu_check.main(["--smoke", "--only", "plain", "--only", "stack", "--only", "class", "--only", "chunk"])
    out = capsys.readouterr().out
    assert rc == 0, out
    results = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert [r.split(":")[0] for r in results] == [
        "RESULT trainer/plain fp32", "RESULT trainer/plain bf16", "RESULT 3 ring8 runs stacked",
        "RESULT class of 2 mnist_10k DCGAN runs (Engine)", "RESULT class of 2 in turn, own stream / one stream",
        "RESULT zerogpu chunk on cpu"]
    assert "FAILED" not in out
