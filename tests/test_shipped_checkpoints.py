"""Every checkpoint shipped in checkpoints/ loads and generates what its config says."""

from pathlib import Path

import pytest
import torch

from ganapp.checkpoints import load_checkpoint
from ganapp.models import sample_shape

SHIPPED = sorted((Path(__file__).resolve().parent.parent / "checkpoints").glob("*.safetensors"))


def test_there_is_a_default_generator():
    from ganapp.ui.handlers import DEFAULT_CHECKPOINT

    assert DEFAULT_CHECKPOINT in [p.name for p in SHIPPED]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_checkpoint_loads_and_generates(path):
    assert path.stat().st_size < 8 * 2**20  # small enough for a Space
    ckpt = load_checkpoint(path)
    with torch.no_grad():
        x = ckpt.G(torch.randn(4, ckpt.config.z_dim))
    assert x.shape == (4, *sample_shape(ckpt.config)) and torch.isfinite(x).all()
    assert ckpt.step > 0
