"""Checkpoints are a visitor's files (issue 27, items 1 and 12): one with NaN weights is refused at load with its own
message and can no longer crash the process that scores it, and one whose metadata lies (a huge model in a tiny
file, JSON that nests without end, a config that is a list, a step of 10^30) is refused from its header, before any
network is built, in one line on the command line and in the reader's language on the page."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from safetensors import safe_open
from safetensors.torch import save, save_file

import ganapp.gan.checkpoints as checkpoints
from conftest import ROOT, req, tiny_image, wait_until
from ganapp.gan.checkpoints import CheckpointError, checkpoint_parts, load_checkpoint
from ganapp.gan.config import GANConfig
from ganapp.gan.models import build_generator
from ganapp.service.remote import pack_checkpoint, unpack_checkpoint
from ganapp.ui.i18n import t

SHIPPED = ROOT / "checkpoints" / "mnist_dcgan.safetensors"


def nan_checkpoint(path: Path) -> Path:
    """The shipped MNIST DCGAN with every G.* tensor set to NaN, its metadata kept (the issue's file)."""
    with safe_open(str(SHIPPED), framework="pt") as f:
        metadata, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    for k, v in tensors.items():
        if k.startswith("G.") and v.is_floating_point():
            tensors[k] = torch.full_like(v, float("nan"))
    save_file(tensors, str(path), metadata=metadata)
    return path


def lying(path: Path, config: object = None, step: str = "0", tensors: dict | None = None, **metadata) -> Path:
    """A safetensors file with ganapp metadata that says what it is told: ``config`` as JSON (a dict, or a text used
    as it is), ``step``, and ``tensors`` (one tiny tensor by default)."""
    text = config if isinstance(config, str) else json.dumps(config)
    save_file(tensors or {"G.w": torch.zeros(1)}, str(path),
              metadata={"format": "ganapp-checkpoint", "version": "1", "config": text, "step": step, **metadata})
    return path


@pytest.fixture
def no_real_build(monkeypatch):
    """Fail the test if a checkpoint's networks are built anywhere but on the meta device (where nothing is
    allocated): a file that lies must be refused before it costs memory."""
    real = checkpoints.build_generator

    def build(config):
        assert torch.empty(0).device.type == "meta", "a network was built from a checkpoint before it was checked"
        return real(config)

    monkeypatch.setattr(checkpoints, "build_generator", build)


# ----- item 1: a NaN checkpoint -----

def test_a_checkpoint_with_nan_weights_is_refused_at_load_with_its_own_reason(tmp_path):
    path = nan_checkpoint(tmp_path / "nan.safetensors")
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert e.value.reason == "non_finite" and "G." in str(e.value)
    # the same check where a checkpoint crosses to the training worker, for a fine-tune
    honest = load_checkpoint(SHIPPED)
    packed = pack_checkpoint(honest)
    tensors = {k: (torch.full_like(v, float("inf")) if k.startswith("D.") and v.is_floating_point() else v)
               for k, v in checkpoint_parts(honest.G.state_dict(), honest.config, 0, honest.d_state)[0].items()}
    with pytest.raises(CheckpointError) as e:
        unpack_checkpoint((save(tensors), packed[1]))
    assert e.value.reason == "non_finite" and "D." in str(e.value)
    # its own message, in both languages
    for lang in ("en", "zh"):
        own = t(lang, "err_ckpt_non_finite")
        assert own not in {t(lang, f"err_ckpt_{r}") for r in ("bad_weights", "bad_config", "not_ganapp")}
    assert "NaN" in t("en", "err_ckpt_non_finite") and "NaN" in t("zh", "err_ckpt_non_finite")


def test_the_frechet_distance_refuses_non_finite_statistics_instead_of_crashing():
    # without the check, MKL's eigen-solver segfaults on 128×128 NaN statistics: run it where a crash is a result
    script = textwrap.dedent("""
        import torch
        from ganapp.gan.metrics import shared_judge
        judge = shared_judge()
        nan = torch.full((300, 1, 28, 28), float("nan"))
        calls = [lambda: judge.score(nan), lambda: judge._distance(nan)]
        for call in calls:
            try:
                call()
                print("scored")
            except ValueError as e:
                print("refused:", e)
        from ganapp.gan.metrics import frechet_distance
        for call in (lambda: frechet_distance(torch.zeros(128), torch.full((128, 128), float("nan")),
                                              torch.zeros(128), torch.eye(128, dtype=torch.float64)),
                     lambda: frechet_distance(torch.zeros(128), torch.eye(128) * 1e300, torch.zeros(128),
                                              torch.eye(128, dtype=torch.float64) * 1e300)):
            try:
                call()
                print("scored")
            except ValueError as e:
                print("refused:", e)
        real = judge.score(torch.rand(300, 1, 28, 28) * 2 - 1)
        print("finite", real["frechet_distance"] > 0)
    """)
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    lines = r.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["refused"] * 4 + ["finite True"], r.stdout
    assert "MKL" not in r.stderr


def test_eval_and_sample_of_a_nan_checkpoint_exit_1_with_one_line(tmp_path):
    path = nan_checkpoint(tmp_path / "nan.safetensors")
    for argv in (["eval", "--checkpoint", str(path), "--n", "200"],
                 ["sample", "--checkpoint", str(path), "--n", "4", "--out", str(tmp_path / "s.png")]):
        r = subprocess.run([sys.executable, "-m", "ganapp", *argv], cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 1, (argv, r.returncode, r.stderr[-2000:])
        err = r.stderr.strip()
        assert len(err.splitlines()) == 1 and "NaN" in err and "Traceback" not in err and "MKL" not in err


@pytest.fixture
def clients(served_app_uploads):
    url, demo = served_app_uploads
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    yield a, b, demo
    for c in (a, b):
        try:
            c.predict("en", api_name="/stop")
        except AppError:
            pass
        c.close()
    for vid in demo.ganapp.registry.visitor_ids():
        demo.ganapp.registry.remove(vid)


# dataset, model, loss, z_dim, batch, lr_g, lr_d, β1, β2, n_critic, seed, widths, λ, γ, r1_every, g_ema, lr_decay,
# conditional, bf16, image size, channels, uploaded files, start from
RING8 = ["ring8", "mlp", "non_saturating", 2, 64, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 16, 16, "", "", "relu", "leaky_relu",
         "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]
# the shipped MNIST DCGAN's settings, fine-tuned from the uploaded file on mnist_10k, as the visitor did
FROM_UPLOAD = ["mnist_10k", "dcgan", "non_saturating", 64, 64, 2e-4, 2e-4, 0.5, 0.999, 1, 1, 0, 32, 32, "", "", "relu",
               "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "uploaded"]


def test_uploading_a_nan_checkpoint_is_refused_and_another_run_keeps_training(clients, tmp_path):
    a, b, demo = clients
    path = str(nan_checkpoint(tmp_path / "mnist_dcgan_nan.safetensors"))
    a.predict("en", 0, *RING8, api_name="/start")
    assert wait_until(lambda: a.predict(api_name="/snapshot")["step"] > 20, 60)
    worker = demo.ganapp.registry.engine.pid
    with pytest.raises(AppError, match="NaN or infinite"):
        b.predict("en", handle_file(path), api_name="/upload_checkpoint")
    with pytest.raises(AppError, match="NaN 或无穷大"):
        b.predict("zh", handle_file(path), api_name="/upload_checkpoint")
    with pytest.raises(AppError) as refused:  # nothing was uploaded: there is nothing to fine-tune
        b.predict("en", 0, *FROM_UPLOAD, api_name="/start")
    assert t("en", "err_no_upload_to_tune") in str(refused.value)
    step = a.predict(api_name="/snapshot")["step"]
    assert wait_until(lambda: a.predict(api_name="/snapshot")["step"] > step + 50, 60)
    assert a.predict(api_name="/snapshot")["state"] == "running"
    assert demo.ganapp.registry.engine.pid == worker  # the same training worker: nothing took it down


# ----- item 12: metadata that lies -----

HUGE = GANConfig.default_for("mnist_10k", g_width=2048, d_width=2048, image_size=64).to_dict()
RING = GANConfig.default_for("ring8").to_dict()


def _liars(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the reason it must be refused for)."""
    honest = tiny_image()
    t_ = checkpoint_parts(build_generator(honest).state_dict(), honest, 3)[0]
    return {
        "huge model in a tiny file": (lying(tmp_path / "huge.safetensors", HUGE), "bad_weights"),
        "deeply nested JSON": (lying(tmp_path / "nested.safetensors", "[" * 5000 + "]" * 5000), "bad_config"),
        "a config of 100 kB": (lying(tmp_path / "long.safetensors", "[" * 50_000 + "]" * 50_000), "bad_config"),
        "config is a list": (lying(tmp_path / "list.safetensors", [1, 2]), "bad_config"),
        "config is null": (lying(tmp_path / "null.safetensors", None), "bad_config"),
        "config is a number": (lying(tmp_path / "number.safetensors", 7), "bad_config"),
        "data_path is not text": (lying(tmp_path / "path.safetensors", {**RING, "data_path": [1]}), "bad_config"),
        "unknown dataset": (lying(tmp_path / "dataset.safetensors", RING, dataset="../../etc"), "bad_config"),
        "step of 10^30": (lying(tmp_path / "step30.safetensors", honest.to_dict(), str(10**30), t_), "bad_step"),
        "negative step": (lying(tmp_path / "stepneg.safetensors", honest.to_dict(), "-1", t_), "bad_step"),
        "step in words": (lying(tmp_path / "stepword.safetensors", honest.to_dict(), "lots", t_), "bad_step"),
        "float64 weights": (lying(tmp_path / "f64.safetensors", honest.to_dict(), "0",
                                  {k: v.double() if v.is_floating_point() else v for k, v in t_.items()}),
                            "bad_weights"),
        "a tensor too many": (lying(tmp_path / "extra.safetensors", honest.to_dict(), "0",
                                    {**t_, "G.extra": torch.zeros(3)}), "bad_weights"),
        "half a D": (lying(tmp_path / "half_d.safetensors", honest.to_dict(), "0",
                           {**t_, "D.head.bias": torch.zeros(1)}), "bad_weights"),
        "fixed_z of another z_dim": (lying(tmp_path / "fixed_z.safetensors", honest.to_dict(), "0",
                                           {**t_, "fixed_z": torch.zeros(4, 3)}), "bad_weights"),
    }


def test_checkpoints_whose_metadata_lies_are_refused_before_anything_is_built(tmp_path, no_real_build):
    for name, (path, reason) in _liars(tmp_path).items():
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(path)
        assert e.value.reason == reason, (name, e.value.reason, str(e.value))
        assert len(str(e.value).splitlines()) == 1 and len(str(e.value)) < 500, name
    assert (tmp_path / "huge.safetensors").stat().st_size < 1000  # the 672-byte file claiming 34 GB


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_lying_checkpoint_on_the_page_is_refused_in_the_readers_language(app, tmp_path, lang, no_real_build):
    import gradio as gr

    for name, (path, reason) in _liars(tmp_path).items():
        with pytest.raises(gr.Error) as e:
            app.explore.upload_checkpoint(req("visitor"), lang, str(path))
        assert e.value.message == t(lang, f"err_ckpt_{reason}"), name
    assert app.registry.visitor("visitor").checkpoint is None
