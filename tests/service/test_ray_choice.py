"""Which service trains the runs (app.training_service): a Ray cluster only when GANAPP_RAY_ADDRESS is set, and
without it Ray is never imported. Runs in a fresh interpreter, whose modules are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import json, os, sys
import app

def ray_imported():
    return any(m == "ray" or m.startswith("ray.") for m in sys.modules)

def described(service):
    return [type(service).__name__, getattr(service, "store_url", None), getattr(service, "num_gpus", None)]

out = {"worker": described(app.training_service(True)), "local": described(app.training_service(False)),
       "ray_before": ray_imported()}
os.environ.update(GANAPP_RAY_ADDRESS="auto", GANAPP_RAY_NUM_GPUS="0.25")
out["ray"] = described(app.training_service(True))
os.environ["GANAPP_STATE_DIR"] = "s3://bucket/ganapp/"
out["s3"] = described(app.training_service(True))
out["given"] = described(app.training_service(True, state_dir="/srv/class-state"))  # create_demo's state_dir wins
os.environ["GANAPP_RAY_NUM_GPUS"] = "-1"
try:
    app.training_service(True)
except SystemExit as e:
    out["bad"] = str(e)
out["ray_after"] = ray_imported()
print(json.dumps(out))
"""


def test_ray_only_with_an_address_and_never_imported_without_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANAPP_RAY")}
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "GANAPP_STATE_DIR": str(tmp_path)}, timeout=300)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["worker"][0] == "WorkerService" and out["local"][0] == "NoneType"
    assert out["ray_before"] is False  # unset: nothing of Ray is imported
    assert out["ray"] == ["RayService", f"{tmp_path}/engines", 0.25]  # the engines autosave beside the state
    assert out["s3"][1] == "s3://bucket/ganapp/engines"
    assert out["given"][1] == "/srv/class-state/engines"
    assert out["bad"] == "GANAPP_RAY_NUM_GPUS='-1' is out of range: it must be a number > 0"
    assert out["ray_after"] is False  # a RayService imports Ray only once it connects
