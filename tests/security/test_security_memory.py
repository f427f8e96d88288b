"""Memory is bounded by the host's limits (issue 27, item 11): a run's memory is estimated from its config alone
(ganapp.gan.memory), before anything is built, and a model over GANAPP_MAX_MODEL_MB is refused at once, with the
estimate, in the reader's language. The estimate is checked against the peak memory of real training steps."""

import json
import math
import os
import subprocess
import sys
import textwrap

import gradio as gr
import pytest

import app as app_module
from conftest import ROOT, req
from ganapp.gan.config import GANConfig
from ganapp.gan.memory import G_COPIES, model_memory
from ganapp.gan.models import build_discriminator, build_generator
from ganapp.host.limits import LimitError, Limits
from ganapp.host.registry import Registry
from ganapp.run.lessons import LESSONS
from ganapp.ui.handlers import CONTROL_FIELDS
from ganapp.ui.i18n import t

WIDE_DCGAN = GANConfig.default_for("mnist_10k", g_width=2048, d_width=2048)  # the run: 5.6 GB, then failed

# The peak resident memory of this process's own memory map (VmHWM): ru_maxrss would not do, since Linux carries the
# parent's resident size at the fork across the exec into it, and a test process serving an app is larger than the run
MEASURE = textwrap.dedent("""
    import json, sys
    import torch
    torch.set_num_threads(1)
    from ganapp.gan.config import GANConfig
    from ganapp.gan.trainer import Trainer

    def peak_mb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024  # kB -> MB

    config = GANConfig.from_dict(json.loads(sys.argv[1]))
    warm = Trainer(config.replace(g_width=4, d_width=4, batch_size=2, z_dim=2))  # the data, kernels and allocator
    for _ in range(2):
        warm.train_step()
    del warm
    before = peak_mb()
    trainer = Trainer(config)
    for _ in range(3):
        trainer.train_step()
    print(peak_mb() - before)
""")


@pytest.mark.parametrize("config", [
    GANConfig.default_for("mnist_10k", model="mlp", g_width=512, d_width=512, batch_size=8),  # mostly weights
    GANConfig.default_for("mnist_10k", g_width=16, d_width=16, batch_size=512),  # mostly activations
], ids=["mlp_weights", "dcgan_activations"])
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak memory from Linux's /proc")
def test_the_estimate_matches_the_peak_memory_of_real_training_steps(config):
    r = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(config.to_dict())], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-2000:]
    measured_mb = float(r.stdout.strip().splitlines()[-1])
    estimate = model_memory(config)
    assert measured_mb > 50  # large enough that the process's own noise does not decide the comparison
    # the estimate is an order of magnitude, within a factor of 2 either way
    assert 0.5 <= measured_mb / estimate.step_mb <= 2.0, (measured_mb, estimate)


def test_the_estimate_counts_exactly_the_networks_it_never_builds():
    for config in (WIDE_DCGAN.replace(g_width=8, d_width=8), GANConfig.default_for("cifar10", conditional=True),
                   GANConfig.default_for("ring8"), GANConfig.default_for("mnist_10k", loss="wgan_gp")):
        m = model_memory(config)
        G, D = build_generator(config), build_discriminator(config)
        assert m.params_g == sum(t.numel() for t in G.state_dict().values())
        assert m.params_d == sum(t.numel() for t in D.state_dict().values())
        assert m.copies_mb == pytest.approx((G_COPIES + (config.g_ema > 0)) * m.g_copy_mb)


def test_a_model_over_the_limit_is_refused_at_once_with_its_estimate(tmp_path, monkeypatch):
    registry = Registry(idle_timeout_s=60)

    def no_build(*args, **kwargs):
        raise AssertionError("a model over the memory limit was built")

    monkeypatch.setattr(registry, "_build", no_build)
    try:
        with pytest.raises(LimitError) as e:
            registry.new_run("visitor", WIDE_DCGAN)
        assert e.value.field == "model_mb" and e.value.allowed == "2048"
        assert e.value.value == pytest.approx(model_memory(WIDE_DCGAN).total_mb, abs=1) and e.value.value > 50_000
        with pytest.raises(LimitError):  # run B is held to the same limit
            registry.new_run_b("visitor", WIDE_DCGAN)
    finally:
        registry.close()


def test_every_lesson_and_dataset_default_fits_the_default_limit():
    limits = Limits()
    for lesson in LESSONS.values():
        for config in (lesson.config(), lesson.run_b_config()):
            if config is not None:
                limits.check(config)
    for dataset in ("mnist_10k", "cifar10", "ring8", "grid25"):
        limits.check(GANConfig.default_for(dataset, data_path="-"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_says_the_estimate_and_the_limit_in_the_readers_language(app, lang, monkeypatch):
    real_build = app.registry._build

    def build(config, *args, **kwargs):
        assert model_memory(config).total_mb < 2048, "a model over the memory limit was built"
        return real_build(config, *args, **kwargs)

    monkeypatch.setattr(app.registry, "_build", build)
    controls = [None if f == "data_files" else "scratch" if f == "init" else getattr(WIDE_DCGAN, f)
                for f in CONTROL_FIELDS]
    need = f"{math.ceil(model_memory(WIDE_DCGAN).total_mb):,}"
    with pytest.raises(gr.Error) as e:
        app.train.start(req("visitor"), lang, 0, *controls)
    assert e.value.message == t(lang, "err_model_memory", need=need, limit="2,048")
    assert app.registry.visitor("visitor").run is None
    # a run that fits still starts
    small = GANConfig.default_for("mnist_10k")
    fits = [None if f == "data_files" else "scratch" if f == "init" else getattr(small, f) for f in CONTROL_FIELDS]
    app.train.start(req("visitor"), lang, 0, *fits)
    assert app.registry.visitor("visitor").run is not None


def test_the_host_sets_the_limit(monkeypatch):
    monkeypatch.setenv("GANAPP_MAX_MODEL_MB", "64")
    limits = app_module.host_limits()
    assert limits.max_model_mb == 64
    with pytest.raises(LimitError):
        limits.check(GANConfig.default_for("cifar10"))  # ~200 MB
    for bad in ("0", "lots", "-5"):
        monkeypatch.setenv("GANAPP_MAX_MODEL_MB", bad)
        with pytest.raises(SystemExit, match="GANAPP_MAX_MODEL_MB|max_model_mb"):
            app_module.host_limits()
