"""Stacked training with an MLP's own architecture: runs that share hidden layers, activations, optimizer, noise and
g_steps stack, each member still getting its lone update; runs that differ in any of them do not share a stack."""

import pytest
import torch

from ganapp.engine.stack import StackedTrainer, stack_key
from ganapp.gan.trainer import Trainer

from conftest import tiny_2d


def _weights_and_moments(t: Trainer) -> list[torch.Tensor]:
    """Every weight, and every optimiser state tensor (Adam's moments and step, or SGD's momentum buffer)."""
    out = [p.detach() for p in list(t.G.parameters()) + list(t.D.parameters())]
    for opt in (t.opt_g, t.opt_d):
        for p in opt.param_groups[0]["params"]:
            state = opt.state.get(p, {})
            out += [torch.as_tensor(state[k]).float() for k in sorted(state) if state[k] is not None]
    return out


@pytest.mark.parametrize("changes", [
    {"g_hidden": "12,6", "d_hidden": "10,10,4"},
    {"g_activation": "tanh", "d_activation": "relu"},
    {"g_activation": "leaky_relu", "d_activation": "tanh", "g_hidden": "9"},
    {"optimizer": "sgd", "lr_g": 1e-2, "lr_d": 1e-2},
    {"noise": "uniform"},
    {"g_steps": 3},
    {"g_steps": 2, "n_critic": 2, "loss": "wgan_gp", "r1_gamma": 0.0, "noise": "uniform"},
    {"optimizer": "sgd", "g_steps": 2, "g_hidden": "4,4,4,4", "d_activation": "tanh", "r1_gamma": 0.5,
     "r1_every": 1},
])
def test_a_stacked_step_with_the_new_settings_gives_each_member_its_lone_update(changes):
    # members differ in seed, learning rates and β1 (SGD's momentum: 0.5, 0.0 = none, and 0.9)
    configs = [tiny_2d(seed=0, **changes), tiny_2d(seed=1, beta1=0.0, **changes),
               tiny_2d(seed=2, beta1=0.9, **changes)]
    configs[1] = configs[1].replace(lr_g=configs[1].lr_g * 2)
    lone, stacked = [Trainer(c) for c in configs], [Trainer(c) for c in configs]
    for t in (lone[1], stacked[1]):  # member 1 starts a step ahead: it has optimiser state when it joins
        t.train_step()
    stack = StackedTrainer(stacked)
    for _ in range(6):
        rows_lone = torch.stack([t.train_step() for t in lone])
        torch.testing.assert_close(stack.train_step(), rows_lone, rtol=1e-4, atol=1e-5)
    stack.write_back_all()
    for a, b in zip(lone, stacked):
        assert a.step_count == b.step_count and a.d_updates == b.d_updates
        for x, y in zip(_weights_and_moments(a), _weights_and_moments(b), strict=True):
            torch.testing.assert_close(y, x, rtol=1e-4, atol=1e-6)
    for a, b in zip(lone, stacked):  # written back, each trains on alone from its own optimiser state
        torch.testing.assert_close(b.train_step(), a.train_step(), rtol=1e-4, atol=1e-5)


def test_sgd_momentum_turned_on_while_stacked_starts_afresh_as_a_lone_sgd_does():
    configs = [tiny_2d(seed=s, optimizer="sgd", beta1=0.0, lr_g=1e-2, lr_d=1e-2) for s in (0, 1)]
    lone, stacked = [Trainer(c) for c in configs], [Trainer(c) for c in configs]
    stack = StackedTrainer(stacked)
    for _ in range(2):
        torch.testing.assert_close(stack.train_step(), torch.stack([t.train_step() for t in lone]))
    for t in lone + stacked:  # β1 is live: the momentum turns on
        t.update(beta1=0.8)
    for _ in range(3):
        rows = torch.stack([t.train_step() for t in lone])
        torch.testing.assert_close(stack.train_step(), rows, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("field, value", [("g_hidden", "8,8"), ("d_hidden", "8"), ("g_activation", "tanh"),
                                          ("d_activation", "relu"), ("optimizer", "sgd"), ("noise", "uniform"),
                                          ("g_steps", 2)])
def test_runs_that_differ_in_a_new_setting_do_not_share_a_stack(field, value):
    base = Trainer(tiny_2d(seed=0))
    assert stack_key(Trainer(tiny_2d(seed=4, lr_g=1e-2))) == stack_key(base)
    other = Trainer(tiny_2d(seed=0, **{field: value}))
    assert stack_key(other) is not None and stack_key(other) != stack_key(base)
    with pytest.raises(ValueError):
        StackedTrainer([base, other])
