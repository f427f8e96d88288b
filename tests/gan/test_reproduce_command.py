"""The "Reproduce this run" command: it parses back to the run's config, and running it gives the same weights."""

import shlex
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT, tiny_2d, tiny_image
from ganapp import cli
from ganapp.gan.checkpoints import read_safetensors
from ganapp.gan.config import GANConfig
from ganapp.gan.reproduce import reproduce_command
from ganapp.gan.trainer import Trainer


def parsed(command: str):
    """The CLI's own reading of a printed command: (its namespace, its GANConfig)."""
    words = shlex.split(command)
    assert words[:4] == ["python", "-m", "ganapp", "train"]
    a = cli._parser().parse_args(words[3:])
    return a, cli._config(a)


CONFIGS = [
    GANConfig(),  # every default
    GANConfig.default_for("ring8"),
    tiny_2d(seed=12345, lr_g=3.3e-4, lr_d=1e-5, beta1=0.0, n_critic=3, loss="wgan_gp", gp_lambda=2.5),
    GANConfig.default_for("grid25", loss="hinge", r1_gamma=0.125, g_ema=0.99, bf16=True, seed=2**31 - 1),
    tiny_image(conditional=True, loss="lsgan", image_size=32, channels=3, lr_g=1e6, beta2=0.0),
    GANConfig.default_for("cifar10", lr_decay=1.0, r1_every=64, n_fixed=1),
    GANConfig.default_for("folder", data_path="/srv/uploads/my pictures's.zip"),
    GANConfig.default_for("drawn", data_path="-drawing.npy", device="cpu"),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.dataset)
def test_the_command_parses_back_to_the_same_config(config):
    a, back = parsed(reproduce_command(config, 250))
    assert back == config, config.diff(back)
    assert a.steps == 250 and str(a.out) == "run.safetensors"
    assert a.constant_lr == (config.lr_decay > 0)  # the flag only where it changes what the CLI does
    assert a.threads == 1


def test_every_non_bool_setting_is_named_so_that_new_recommended_values_do_not_change_the_run():
    words = shlex.split(reproduce_command(GANConfig.default_for("ring8"), 10))
    for flag in ("--dataset", "--seed", "--lr-g", "--batch-size", "--lr-decay", "--device", "--n-fixed"):
        assert flag in words
    assert "--conditional" not in words and "--bf16" not in words  # off: store_true flags are left out
    a, _ = parsed(reproduce_command(GANConfig.default_for("ring8"), 10, constant_lr=False))
    assert not a.constant_lr


@pytest.mark.parametrize("bad, field", [(dict(steps=0), "steps"), (dict(steps=2.5), "steps"),
                                        (dict(steps=True), "steps"), (dict(out="run.pt"), "out"),
                                        (dict(config={"dataset": "ring8"}), "config"), (dict(threads=0), "threads"),
                                        (dict(threads=1.0), "threads")])
def test_bad_input_is_a_value_error_naming_the_field(bad, field):
    args = dict(config=tiny_2d(), steps=10) | bad
    with pytest.raises(ValueError, match=field):
        reproduce_command(**args)


def run_printed(command: str, tmp_path) -> dict[str, torch.Tensor]:
    """Run a printed command as a visitor would, from the repository root, with the checkpoint in ``tmp_path``;
    return the checkpoint's tensors."""
    out = tmp_path / "repro.safetensors"
    words = shlex.split(command)
    words = [sys.executable, *words[1:]]
    words = [f"--out={out}" if w.startswith("--out=") else w for w in words]
    done = subprocess.run(words, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return read_safetensors(out)[0]


def assert_same_weights(trainer: Trainer, tensors: dict[str, torch.Tensor]) -> None:
    for name, net in (("G", trainer.G_shown), ("D", trainer.D)):
        state = net.state_dict()
        saved = {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(f"{name}.")}
        assert saved.keys() == state.keys()
        for k, v in state.items():
            assert torch.equal(saved[k], v.cpu()), f"{name}.{k} differs"


@pytest.mark.parametrize("constant_lr", [True, False], ids=["open-ended", "known-length"])
def test_running_the_printed_command_gives_the_same_weights(tmp_path, constant_lr):
    # ring8's recommended lr_decay (0.3) is on: the open-ended run keeps its rates, the known-length one decays them
    config = tiny_2d(seed=7, device="cpu", n_critic=2)
    steps = 40
    trainer = Trainer(config)
    for i in range(steps):
        if not constant_lr:
            trainer.set_progress(i / steps)  # as the CLI does for --steps
        trainer.train_step()
    command = reproduce_command(config, steps, constant_lr=constant_lr)
    assert_same_weights(trainer, run_printed(command, tmp_path))


def test_a_dcgan_with_g_ema_gives_the_same_weights_too(tmp_path):
    # a convolution's sums split by thread: this process trains on 1 (conftest), as the app does, and so does the
    # command (--threads 1), whatever cores the machine has
    config = tiny_image(seed=3, g_ema=0.9, r1_gamma=1.0, r1_every=2)
    trainer = Trainer(config)
    for _ in range(3):
        trainer.train_step()
    assert_same_weights(trainer, run_printed(reproduce_command(config, 3), tmp_path))
    assert np.isfinite(trainer.step()["d_loss"])


def test_the_cli_refuses_threads_out_of_range(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "ring8", "--steps", "1", "--threads", "0",
                     "--out", str(tmp_path / "x.safetensors")]) == 2
    assert "--threads=0 is out of range" in capsys.readouterr().err
