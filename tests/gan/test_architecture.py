"""An MLP's own architecture from the schema: hidden layers, activations, the optimizer, the noise and g_steps; and
that the defaults train exactly what they trained before these settings existed."""

import shlex

import pytest
import torch

from ganapp import cli
from ganapp.gan.checkpoints import load_checkpoint
from ganapp.gan.config import ConfigError, GANConfig
from ganapp.gan.latent import interpolate, seed_to_z, truncate
from ganapp.gan.models import build_discriminator, build_generator, generate
from ganapp.gan.reproduce import reproduce_command
from ganapp.gan.trainer import Trainer, make_fixed_z

from conftest import tiny_2d, tiny_image

NEW = dict(g_hidden="32,16,8", d_hidden="24", g_activation="tanh", d_activation="relu", optimizer="sgd",
           noise="uniform", g_steps=3)


def _parsed(command: str) -> GANConfig:
    return cli._config(cli._parser().parse_args(shlex.split(command)[3:]))


def test_the_new_settings_round_trip_through_dict_cli_and_reproduce_command():
    config = GANConfig.default_for("ring8", **NEW)
    assert GANConfig.from_dict(config.to_dict()) == config
    assert _parsed(reproduce_command(config, 5)) == config
    # the defaults write no empty flag, and read back the same
    default = GANConfig.default_for("ring8")
    assert "--g-hidden" not in reproduce_command(default, 5) and _parsed(reproduce_command(default, 5)) == default
    a = cli._parser().parse_args(["train", "--out=x.safetensors", "--dataset", "ring8", "--g-hidden", " 64, 32 ",
                                  "--noise", "uniform", "--g-steps", "2", "--optimizer", "sgd", "--d-activation",
                                  "tanh"])
    c = cli._config(a)
    assert (c.g_hidden, c.g_layers, c.noise, c.g_steps, c.optimizer, c.d_activation) == \
        ("64,32", (64, 32), "uniform", 2, "sgd", "tanh")


@pytest.mark.parametrize("value", ["0", "1,2,3,4,5", "128,", "a,b", "2049", "12.5", "-3", ",", "1;2", "²"])
def test_a_bad_hidden_layers_list_is_refused_naming_the_field(value):
    with pytest.raises(ConfigError) as e:
        tiny_2d(g_hidden=value)
    assert e.value.field == "g_hidden" and e.value.code == "bad_layers"
    assert e.value.params == {"value": value, "layers": "1..4", "range": "1..2048"}
    for field, bad in (("g_activation", "sigmoid"), ("optimizer", "rmsprop"), ("noise", "cauchy"), ("g_steps", 21)):
        with pytest.raises(ConfigError) as e:
            tiny_2d(**{field: bad})
        assert e.value.field == field


@pytest.mark.parametrize("hidden", ["7", "3,5", "4,8,16", "2,2,2,2"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh"])
def test_mlps_build_with_each_layer_list_and_activation(hidden, activation):
    kinds = {"relu": torch.nn.ReLU, "leaky_relu": torch.nn.LeakyReLU, "tanh": torch.nn.Tanh}
    for config in (tiny_2d(g_hidden=hidden, d_hidden=hidden, g_activation=activation, d_activation=activation),
                   tiny_image(model="mlp", g_hidden=hidden, d_hidden=hidden, g_activation=activation,
                              d_activation=activation)):
        G, D = build_generator(config), build_discriminator(config)
        sizes = [int(n) for n in hidden.split(",")]
        g_linear = [m for m in G.net if isinstance(m, torch.nn.Linear)]
        assert [m.out_features for m in g_linear[:-1]] == sizes
        assert [m.out_features for m in D.features if isinstance(m, torch.nn.Linear)] == sizes
        assert all(isinstance(G.net[2 * i + 1], kinds[activation]) for i in range(len(sizes)))
        z = torch.randn(5, config.z_dim)
        x = G(z)
        assert x.shape == (5, *((2,) if config.is_2d else (1, 28, 28)))
        assert D(x).shape == (5,)
        assert G.head(z).shape == (5, sizes[0])  # GANSpace's layer


def test_a_dcgan_ignores_the_mlp_settings():
    a, b = tiny_image(), tiny_image(g_hidden="8", d_hidden="8", g_activation="tanh", d_activation="tanh")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        ga = build_generator(a)
        torch.manual_seed(0)
        gb = build_generator(b)
    assert [p.shape for p in ga.parameters()] == [p.shape for p in gb.parameters()]


# G's and D's parameters (sum, sum of |.|) after 5 steps of seed 3, computed on main's code before these settings
# existed (commit d1baf82): the defaults must train the same weights.
REFERENCE_2D = [(-2.436342, 6.108514), (0.966403, 4.048814), (-2.625727, 11.760153), (-0.170923, 1.427582),
                (-0.759748, 11.342461), (-0.523963, 1.461725), (1.089149, 2.656752), (0.111977, 0.111977),
                (1.081718, 5.719844), (1.420934, 3.798263), (1.725996, 11.688453), (-1.170716, 1.373185),
                (-0.410342, 10.199418), (-0.884184, 1.147537), (-0.797893, 1.394492), (-0.162615, 0.162615)]
REFERENCE_MLP_IMAGE = [(-1.766501, 6.680327), (-1.051093, 1.051093), (-1.383721, 7.372731), (1.272347, 1.727538),
                       (0.409183, 23.057944), (-0.046896, 3.276137), (-4.325976, 1566.752808),
                       (2.896286, 94.270702), (5.356117, 224.1593), (0.008061, 0.257259), (0.806189, 16.404092),
                       (0.046374, 1.119919), (-0.105123, 6.305602), (-0.171126, 0.825501), (-0.864112, 1.553769),
                       (0.289827, 0.289827)]


@pytest.mark.parametrize("config, reference", [(tiny_2d(seed=3), REFERENCE_2D),
                                               (tiny_image(model="mlp", seed=3), REFERENCE_MLP_IMAGE)])
def test_the_default_config_trains_the_same_weights_as_before_these_settings(config, reference):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trainer = Trainer(config)
        for _ in range(5):
            trainer.train_step()
    finally:
        torch.set_num_threads(threads)
    tensors = list(trainer.G.state_dict().values()) + list(trainer.D.state_dict().values())
    got = [x for v in tensors for x in (float(v.double().sum()), float(v.double().abs().sum()))]
    assert got == pytest.approx([x for pair in reference for x in pair], rel=1e-4, abs=1e-4)


def test_a_checkpoint_saved_before_these_settings_loads_and_rebuilds_the_same_g():
    # checkpoints/grid25_mlp.safetensors was saved by an earlier ganapp: its config has none of the new fields.
    # Its G's points for seed 0's z, as that ganapp generated them.
    ckpt = load_checkpoint("checkpoints/grid25_mlp.safetensors")
    assert ckpt.config.g_hidden == "" and ckpt.config.noise == "gaussian" and ckpt.config.optimizer == "adam"
    x = generate(ckpt.G.eval(), seed_to_z(0, ckpt.config.z_dim, 4))
    expected = torch.tensor([[-4.04271936416626, 1.998052716255188], [4.011940002441406, -4.016927242279053],
                             [3.9603683948516846, 3.9688713550567627], [-1.9791767597198486, -2.028336524963379]])
    torch.testing.assert_close(x, expected, rtol=1e-5, atol=1e-5)
    old = {k: v for k, v in ckpt.config.to_dict().items() if k not in NEW and k not in ("d_hidden",)}
    assert GANConfig.from_dict(old) == ckpt.config


@pytest.mark.parametrize("g_steps, n_critic", [(1, 1), (3, 1), (2, 4)])
def test_g_steps_makes_that_many_g_updates_per_step(g_steps, n_critic):
    trainer = Trainer(tiny_2d(g_steps=g_steps, n_critic=n_critic, r1_gamma=0.0))
    g_before = [p.detach().clone() for p in trainer.G.parameters()]
    for _ in range(2):
        trainer.train_step()
    g_state = trainer.opt_g.state[next(trainer.G.parameters())]
    d_state = trainer.opt_d.state[next(trainer.D.parameters())]
    assert float(g_state["step"]) == 2 * g_steps and float(d_state["step"]) == 2 * n_critic
    assert trainer.step_count == 2 and trainer.d_updates == 2 * n_critic
    assert any(not torch.equal(a, b) for a, b in zip(g_before, trainer.G.parameters()))


def test_sgd_with_momentum_is_the_optimizer_and_beta1_its_live_momentum():
    trainer = Trainer(tiny_2d(optimizer="sgd", beta1=0.9, lr_g=0.01, lr_d=0.01))
    assert isinstance(trainer.opt_g, torch.optim.SGD) and trainer.opt_g.param_groups[0]["momentum"] == 0.9
    trainer.train_step()
    assert "momentum_buffer" in trainer.opt_d.state[next(trainer.D.parameters())]
    trainer.update(beta1=0.5, lr_g=0.02)
    assert trainer.opt_g.param_groups[0]["momentum"] == 0.5 and trainer.opt_g.param_groups[0]["lr"] == 0.02
    tensors, meta = trainer.state()  # a run's state goes on exactly, SGD's buffers included
    again = Trainer(trainer.config)
    again.load_state(tensors, meta)
    torch.testing.assert_close(again.train_step(), trainer.train_step())
    plain = Trainer(tiny_2d(optimizer="sgd", beta1=0.0))
    plain.train_step()
    plain.state()  # no momentum: no buffer to save


def test_uniform_noise_lies_in_minus_one_to_one_everywhere_g_meets_z():
    config = tiny_2d(noise="uniform", n_fixed=256, z_dim=8, batch_size=512)
    trainer = Trainer(config)
    z, _ = trainer._noise()
    fixed = make_fixed_z(config)
    seeded = seed_to_z(7, 8, 1000, "uniform")
    for t in (z, fixed, seeded, trainer.fixed_z):
        assert t.min() >= -1 and t.max() <= 1 and t.min() < -0.9 and t.max() > 0.9  # the whole cube, not N(0, 1)
    assert (seeded.abs() > 1).sum() == 0 and (seed_to_z(7, 8, 1000).abs() > 1).any()
    assert truncate(seeded, 0.5).abs().max() <= 0.5
    corners = torch.tensor([1.0, 1.0]), torch.tensor([1.0, -1.0])  # a slerp's arc between them leaves the cube
    path = interpolate(*corners, 9, "slerp", noise="uniform")
    assert path.abs().max() <= 1 and interpolate(*corners, 9, "slerp").abs().max() > 1.2
    trainer.train_step()


def test_the_2d_views_manifold_spans_the_runs_noise():
    from ganapp.gan import view2d
    from ganapp.gan.losses import get_loss
    from ganapp.gan.points2d import BOUNDS_2D

    config = tiny_2d(noise="uniform")
    trainer = Trainer(config)
    fake = trainer.sample(trainer.fixed_z)
    for noise, corner in (("uniform", -1.0), ("gaussian", -2.5)):
        frame = view2d.view(trainer.G, trainer.D, get_loss(config.loss), config.z_dim, BOUNDS_2D["ring8"], fake,
                            noise=noise)
        expected = generate(trainer.G.eval(), torch.tensor([[corner, corner]]))[0]
        torch.testing.assert_close(torch.from_numpy(frame.manifold[0, 0]), expected)  # the grid's first corner
