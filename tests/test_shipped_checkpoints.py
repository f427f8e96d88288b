"""Every checkpoint shipped in checkpoints/ loads and generates what its config says."""

from pathlib import Path

import pytest
import torch

from ganapp.checkpoints import list_checkpoints, load_checkpoint
from ganapp.models import sample_shape
from ganapp.trainer import cycled_labels

FOLDER = Path(__file__).resolve().parent.parent / "checkpoints"
SHIPPED = list_checkpoints(FOLDER)


def test_every_safetensors_file_is_a_checkpoint_or_the_classifier():
    others = {p.name for p in FOLDER.glob("*.safetensors")} - {p.name for p in SHIPPED}
    assert others == {"mnist_classifier.safetensors"}


def test_there_is_a_default_generator():
    from ganapp.ui.handlers import DEFAULT_CHECKPOINT

    assert DEFAULT_CHECKPOINT in [p.name for p in SHIPPED]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_checkpoint_loads_and_generates(path):
    assert path.stat().st_size < 8 * 2**20  # small enough for a Space
    ckpt = load_checkpoint(path)
    y = cycled_labels(4, ckpt.config.n_classes) if ckpt.config.conditional else None
    with torch.no_grad():
        x = ckpt.G(torch.randn(4, ckpt.config.z_dim), y)
    assert x.shape == (4, *sample_shape(ckpt.config)) and torch.isfinite(x).all()
    assert ckpt.step > 0
