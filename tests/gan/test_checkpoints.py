import json
import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from ganapp.gan.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from ganapp.gan.trainer import Trainer

from conftest import tiny_2d, tiny_image


@pytest.mark.parametrize("make", [tiny_image, tiny_2d])
def test_round_trip_rebuilds_g_from_the_file_alone(tmp_path, make):
    t = Trainer(make())
    for _ in range(3):
        t.step()
    path = save_checkpoint(tmp_path / "run.safetensors", t.G, t.config, t.step_count, D=t.D, fixed_z=t.fixed_z)
    ckpt = load_checkpoint(path)
    assert ckpt.config == t.config and ckpt.step == 3 and ckpt.dataset == t.config.dataset
    z = torch.randn(4, t.config.z_dim)
    torch.testing.assert_close(ckpt.G(z), t.sample(z))
    for k, v in t.D.state_dict().items():
        torch.testing.assert_close(ckpt.d_state[k], v)
    torch.testing.assert_close(ckpt.fixed_z, t.fixed_z)
    assert not ckpt.G.training


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    t = Trainer(tiny_2d())
    path = save_checkpoint(tmp_path / "a.safetensors", t.G, t.config, 1)
    good = path.read_bytes()

    def crash(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    t.step()
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, t.G, t.config, 2)
    assert path.read_bytes() == good  # the old checkpoint is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.safetensors"]


def test_pickled_torch_file_is_rejected_without_unpickling(tmp_path):
    class Bomb:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.safetensors"
    with open(path, "wb") as f:
        pickle.dump(Bomb(), f)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert e.value.reason == "not_safetensors" and "never" in str(e.value)
    assert not (tmp_path / "pwned").exists()
    torch.save({"w": torch.zeros(2)}, tmp_path / "model.pt")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load_checkpoint(tmp_path / "model.pt")


def test_corrupted_file_is_rejected(tmp_path):
    t = Trainer(tiny_2d())
    path = save_checkpoint(tmp_path / "c.safetensors", t.G, t.config, 0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert e.value.reason == "not_safetensors"


def test_foreign_safetensors_and_bad_metadata_are_rejected(tmp_path):
    save_file({"w": torch.zeros(3)}, tmp_path / "other.safetensors")
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tmp_path / "other.safetensors")
    assert e.value.reason == "not_ganapp"
    cfg = tiny_2d().to_dict() | {"z_dim": -4}
    save_file({"G.w": torch.zeros(1)}, tmp_path / "bad.safetensors",
              metadata={"format": "ganapp-checkpoint", "config": json.dumps(cfg), "step": "0"})
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tmp_path / "bad.safetensors")
    assert e.value.reason == "bad_config" and "z_dim" in str(e.value)


def test_weights_that_do_not_fit_the_config_are_rejected(tmp_path):
    t = Trainer(tiny_2d())
    path = save_checkpoint(tmp_path / "w.safetensors", t.G, t.config.replace(g_width=16), 0)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert e.value.reason == "bad_weights"


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tmp_path / "nope.safetensors")
    assert e.value.reason == "missing"
