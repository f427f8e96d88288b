"""A stack's tensors follow its members' device: none is made on the default device.

No GPU is needed to check it. The stack is built and stepped while torch's default device is ``meta``: a tensor
made without ``device=`` lands there, and mixing it with the members' CPU tensors fails (or leaves meta tensors in
the stack). On CUDA the same omission puts a CPU tensor beside CUDA ones, which is the bug this guards against.
"""

import pytest
import torch

from ganapp.engine.stack import StackedTrainer
from ganapp.gan.trainer import Trainer

from conftest import tiny_2d


def _tensors(stack: StackedTrainer) -> list[torch.Tensor]:
    """Every tensor the stack holds between steps: parameters, both Adams' moments and step counts, R1 values."""
    out = [*stack.g_params, *stack.d_params, stack.last_r1]
    for adam in (stack.adam_g, stack.adam_d):
        out += [*adam.exp_avg, *adam.exp_avg_sq, adam.steps]
    return out


@pytest.mark.parametrize("changes", [{}, {"loss": "wgan_gp", "n_critic": 2, "r1_gamma": 0.0}])
def test_a_stack_built_and_stepped_under_another_default_device_keeps_every_tensor_on_its_members_device(changes):
    configs = [tiny_2d(seed=s, r1_every=1, **changes) for s in (0, 1, 2)]
    lone, members = [Trainer(c) for c in configs], [Trainer(c) for c in configs]
    with torch.device("meta"):
        stack = StackedTrainer(members[:2])
        stack.add([members[2]])  # joining makes tensors too
        rows = torch.stack([stack.train_step() for _ in range(3)])  # (3 steps, K, 4)
        stack.remove(members[0])  # and leaving
        stack.train_step()
    assert rows.device.type == "cpu"
    assert all(t.device.type == "cpu" for t in _tensors(stack))
    expected = torch.stack([torch.stack([t.train_step() for t in lone]) for _ in range(3)])
    torch.testing.assert_close(rows, expected, rtol=1e-4, atol=1e-5)
