import json
import subprocess
import sys
import time

import numpy as np
import pytest

from ganapp.cli import main

from conftest import ROOT


def test_train_sample_eval_on_ring8(tmp_path, capsys):
    ckpt = tmp_path / "ring.safetensors"
    assert main(["train", "--dataset", "ring8", "--steps", "30", "--g-width", "8", "--d-width", "8",
                 "--batch-size", "32", "--seed", "3", "--out", str(ckpt)]) == 0
    assert ckpt.is_file() and (tmp_path / "ring.png").is_file()
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "50", "--out", str(tmp_path / "s.npy")]) == 0
    x = np.load(tmp_path / "s.npy")
    assert x.shape == (50, 2) and x.dtype == np.float32
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(ckpt), "--n", "200"]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["n_modes"] == 8 and 0 <= scores["modes"] <= 8 and scores["samples"] == 200


def test_image_sample_writes_npy_in_minus_one_one_and_png(tmp_path):
    from ganapp.gan.checkpoints import load_checkpoint

    ckpt = tmp_path / "m.safetensors"
    assert main(["train", "--dataset", "mnist_10k", "--steps", "2", "--g-width", "4", "--d-width", "4",
                 "--batch-size", "8", "--z-dim", "8", "--bf16", "--out", str(ckpt)]) == 0
    assert load_checkpoint(ckpt).config.bf16  # trained under bfloat16 autocast; the weights saved are float32
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "5", "--out", str(tmp_path / "x.npy")]) == 0
    x = np.load(tmp_path / "x.npy")
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32 and x.min() >= -1 and x.max() <= 1
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "16", "--out", str(tmp_path / "g.png")]) == 0


def test_save_every_timelapse_mnist_eval_and_init(tmp_path, capsys):
    ckpt = tmp_path / "m.safetensors"
    tiny = ["--g-width", "4", "--d-width", "4", "--batch-size", "8", "--z-dim", "8"]
    assert main(["train", "--dataset", "mnist_10k", "--steps", "4", "--save-every", "2", *tiny,
                 "--out", str(ckpt)]) == 0
    saved = sorted(tmp_path.glob("m_step*.safetensors"))
    assert [p.name for p in saved] == ["m_step000002.safetensors", "m_step000004.safetensors"]
    capsys.readouterr()
    assert main(["timelapse", "--checkpoints", *map(str, saved[::-1]), "--out", str(tmp_path / "t.gif")]) == 0
    assert "steps 2, 4" in capsys.readouterr().out and (tmp_path / "t.gif").is_file()
    assert main(["eval", "--checkpoint", str(ckpt), "--n", "100"]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["samples"] == 100 and len(scores["class_hist"]) == 10 and scores["fd_floor"] > 0
    tuned = tmp_path / "tuned.safetensors"
    assert main(["train", "--init", str(ckpt), "--steps", "2", "--out", str(tuned)]) == 0
    assert "step 6" in capsys.readouterr().out  # 4 from the checkpoint, then 2 more, with its settings
    assert main(["train", "--init", str(ckpt), "--g-width", "8", "--steps", "2", "--out", str(tuned)]) == 2
    assert "does not fit these settings" in capsys.readouterr().err


def test_lr_decay_follows_steps_or_minutes_whichever_ends_the_run(tmp_path, monkeypatch):
    from ganapp.gan.checkpoints import load_checkpoint
    from ganapp.gan.trainer import Trainer

    seen = []
    set_progress = Trainer.set_progress
    monkeypatch.setattr(Trainer, "set_progress",
                        lambda self, p: seen.append((p, set_progress(self, p))) or seen[-1][1])
    tiny = ["--dataset", "ring8", "--g-width", "8", "--d-width", "8", "--batch-size", "16"]
    ckpt = tmp_path / "r.safetensors"
    assert main(["train", *tiny, "--steps", "10", "--lr-decay", "0.5", "--out", str(ckpt)]) == 0
    assert [p for p, _ in seen] == pytest.approx([i / 10 for i in range(10)])
    assert [f for _, f in seen] == pytest.approx([1] * 6 + [0.8, 0.6, 0.4, 0.2])  # the last half falls to 0
    assert load_checkpoint(ckpt).config.lr_decay == 0.5
    seen.clear()  # a run that --minutes ends: progress is measured in time (3 s: steps far apart on a busy machine
    # still leave one in its last fifth)
    assert main(["train", *tiny, "--steps", "1000000", "--minutes", "0.05", "--lr-decay", "0.5",
                 "--out", str(ckpt)]) == 0
    assert 0.8 < seen[-1][0] < 1 and seen[-1][1] < 0.4 and seen[0][1] == 1


def test_minutes_alone_trains_for_that_long_and_steps_alone_for_that_many(tmp_path):
    from ganapp.gan.checkpoints import load_checkpoint

    tiny = ["--dataset", "ring8", "--g-width", "8", "--d-width", "8", "--batch-size", "16"]
    ckpt = tmp_path / "r.safetensors"
    started = time.monotonic()
    assert main(["train", *tiny, "--minutes", "0.05", "--out", str(ckpt)]) == 0  # 3 s, not cut short by a step count
    assert time.monotonic() - started >= 3.0
    timed = load_checkpoint(ckpt).step
    assert timed > 10
    assert main(["train", *tiny, "--steps", "7", "--out", str(ckpt)]) == 0
    assert load_checkpoint(ckpt).step == 7
    assert main(["train", *tiny, "--out", str(ckpt)]) == 0  # neither: the default 3,000 steps
    assert load_checkpoint(ckpt).step == 3000


@pytest.mark.parametrize("argv,message", [
    (["train", "--dataset", "imagenet", "--out", "x.safetensors"], "dataset='imagenet' is not allowed"),
    (["train", "--z-dim", "2.5", "--out", "x.safetensors"], "z_dim=2.5 is out of range: it must be an integer"),
    (["train", "--z-dim", "two", "--out", "x.safetensors"], "'two' is not a number"),
    (["train", "--lr-g", "nan", "--out", "x.safetensors"], "lr_g=nan is out of range"),
    (["train", "--steps", "0", "--out", "x.safetensors"], "--steps=0"),
    (["train", "--lr-decay", "1.5", "--out", "x.safetensors"], "lr_decay=1.5 is out of range"),
    (["train", "--r1-every", "0", "--out", "x.safetensors"], "r1_every=0 is out of range"),
    (["train", "--out", "x.pt"], "must end in .safetensors"),
    (["train", "--dataset", "ring8", "--model", "dcgan", "--out", "x.safetensors"], "needs an image dataset"),
    (["sample", "--checkpoint", "x.safetensors", "--n", "0", "--out", "a.png"], "--n=0"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_flags_print_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_bad_checkpoint_exits_1_without_traceback(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not really")
    r = subprocess.run([sys.executable, "-m", "ganapp", "eval", "--checkpoint", str(bad)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "not a safetensors file" in r.stderr and "Traceback" not in r.stderr


def test_train_on_a_folder_with_another_loss_and_size(tmp_path):
    from PIL import Image

    (tmp_path / "imgs").mkdir()
    for i in range(4):
        Image.new("RGB", (40, 40), (60 * i, 20, 200)).save(tmp_path / "imgs" / f"{i}.jpg")
    ckpt = tmp_path / "f.safetensors"
    assert main(["train", "--dataset", "folder", "--data-path", str(tmp_path / "imgs"), "--image-size", "32",
                 "--channels", "3", "--loss", "hinge", "--r1-gamma", "1", "--r1-every", "2", "--steps", "2",
                 "--g-width", "4", "--d-width", "4", "--batch-size", "4", "--z-dim", "8", "--out", str(ckpt)]) == 0
    from ganapp.gan.checkpoints import load_checkpoint

    assert load_checkpoint(ckpt).config.r1_every == 2
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "3", "--out", str(tmp_path / "x.npy")]) == 0
    assert np.load(tmp_path / "x.npy").shape == (3, 3, 32, 32)
