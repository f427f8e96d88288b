"""One schema for every setting (issue 14): each GANConfig field's facts live in its metadata, and the command
line's flags, the Train tab's widgets, the validation and the controls' order are made from them. Property tests
(hypothesis) check the schema against the trainer, its errors, and the CLI against the page."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganapp import cli
from ganapp.gan.config import (CLI_FIELDS, LIVE_FIELDS, MODELS, PAGE_FIELDS, RANGES, SETTINGS, ConfigError,
                           GANConfig, hidden_layers, is_2d, range_text)
from ganapp.gan.trainer import Trainer
from ganapp.ui.common import CONTROL_FIELDS
from ganapp.ui.i18n import t

from conftest import worker_registry

# ----- the schema itself -----


def test_every_config_field_has_its_facts_in_one_setting():
    names = [f.name for f in dataclasses.fields(GANConfig)]
    assert list(SETTINGS) == names
    for name, s in SETTINGS.items():
        assert s.label["en"] and s.label["zh"] and s.help["en"] and s.help["zh"], name
        assert (s.range is None) or (s.choices is None), name  # a number or a choice, not both
        assert s.widget in (None, "dropdown", "number", "integer", "checkbox", "text"), name
        if s.widget is None:
            assert s.page_note, f"{name} has no widget: its page_note must say why"
        if s.widget == "integer" or (s.range and s.range.integer):
            assert s.type == "int" and s.widget in (None, "integer"), name
        if s.type == "bool":
            assert s.widget in (None, "checkbox"), name
        if s.choices:
            assert s.widget in (None, "dropdown"), name
    assert set(LIVE_FIELDS) <= set(SETTINGS)
    assert {n for n, s in SETTINGS.items() if s.range} == set(RANGES)


def test_labels_and_help_reach_the_ui_strings_in_both_languages():
    for name, s in SETTINGS.items():
        for lang in ("en", "zh"):
            assert t(lang, name) == s.label[lang] and t(lang, f"help_{name}") == s.help[lang]


# ----- one to one: the schema, the command line and the page -----


def _train_parser():
    parser = cli._parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["train"]


# the train command's own flags, which are not settings; --betas sets beta1 and beta2 at once; --threads and
# --constant-lr say how this process trains (a reproduced run's, see ganapp.gan.reproduce), not what
CLI_ONLY_FLAGS = {"help", "steps", "minutes", "out", "data_dir", "save_every", "init", "betas", "threads",
                  "constant_lr"}


def test_cli_flags_are_the_schemas_settings_one_to_one():
    dests = {a.dest for a in _train_parser()._actions}
    assert dests - CLI_ONLY_FLAGS == set(CLI_FIELDS), "a flag was added by hand, or a setting lost its flag"
    for name in CLI_FIELDS:
        action = next(a for a in _train_parser()._actions if a.dest == name)
        assert action.option_strings == [SETTINGS[name].flag]
        assert SETTINGS[name].help["en"] in action.help


def test_page_controls_are_the_schemas_settings_one_to_one():
    from ganapp.host.registry import Registry
    from ganapp.ui.handlers import GanApp
    from ganapp.ui.layout import build_demo

    registry = Registry(idle_timeout_s=60)
    try:
        demo = build_demo(GanApp(registry, "checkpoints"))
        start = next(f for f in demo.fns.values() if f.api_name == "start")
        ids = [c.elem_id for c in start.inputs[2:]]  # after the language and the run length
        assert ids == [n.replace("_", "-") for n in PAGE_FIELDS] + ["data-files", "init"]
        assert CONTROL_FIELDS == (*PAGE_FIELDS, "data_files", "init")
        assert PAGE_FIELDS == tuple(n for n, s in SETTINGS.items() if s.widget)
        kinds = {"dropdown": "Dropdown", "checkbox": "Checkbox", "number": "Number", "integer": "Number",
                 "text": "Textbox"}
        for name, component in zip(PAGE_FIELDS, start.inputs[2:]):
            assert type(component).__name__ == kinds[SETTINGS[name].widget], name
            assert component.label == SETTINGS[name].label["en"]
    finally:
        registry.close()


# ----- properties -----

FAST_DATASETS = ("ring8", "grid25", "spiral", "moons", "gaussian", "mnist_10k")  # on disk without a download


def _in_range(name: str, **caps: float) -> st.SearchStrategy:
    lo, hi, lo_inc, hi_inc, integer = RANGES[name]
    hi = min(hi, caps.get("hi", hi))
    if integer:
        return st.integers(int(lo), int(hi))
    return st.floats(lo, hi, exclude_min=not lo_inc, exclude_max=not hi_inc and hi == RANGES[name].high)


@st.composite
def trainable_configs(draw) -> GANConfig:
    """Any valid config, with the sizes capped so that a step takes milliseconds, and the learning rates and
    penalties capped where one step stays inside float32: larger ones are valid by design (a class watches them blow
    training up), and the run's NaN rollback answers for them (tests/run/test_run.py)."""
    dataset = draw(st.sampled_from(FAST_DATASETS))
    values = {"dataset": dataset, "device": "cpu", "model": "mlp" if is_2d(dataset) else draw(st.sampled_from(MODELS))}
    caps = dict(z_dim=16, batch_size=16, g_width=16, d_width=16, n_critic=3, n_fixed=16, lr_g=1e-2, lr_d=1e-2,
                gp_lambda=100, r1_gamma=100)
    for name in RANGES:
        values[name] = draw(_in_range(name, **({"hi": caps[name]} if name in caps else {})))
    if values["lr_g"] < 1e-6 or values["lr_d"] < 1e-6:  # (0, 1e-6) is valid; keep the draws readable
        values.update(lr_g=max(values["lr_g"], 1e-6), lr_d=max(values["lr_d"], 1e-6))
    # Adam with β2 near 0 moves every weight by about lr at each update, whatever its gradient: with n_critic D updates
    # at lr 1e-2 a WGAN critic's scores leave bfloat16's range in one step (valid, and the rollback's to answer for)
    values["beta2"] = max(values["beta2"], 0.5)
    for name in ("loss", "image_size", "channels", "g_activation", "d_activation", "optimizer", "noise"):
        values[name] = draw(st.sampled_from(SETTINGS[name].choices))
    for name in ("g_hidden", "d_hidden"):  # an MLP's own layers ("" keeps the classic ones)
        values[name] = ",".join(map(str, draw(st.lists(st.integers(1, 16), max_size=4))))
    values["bf16"] = draw(st.booleans())
    values["conditional"] = dataset == "mnist_10k" and draw(st.booleans())
    return GANConfig(**values)


@settings(max_examples=25, deadline=None)
@given(config=trainable_configs())
def test_any_valid_config_builds_and_trains_one_step_with_finite_losses(config):
    torch.manual_seed(0)
    out = Trainer(config).train_step().tolist()  # d_loss, g_loss, D(x), D(G(z))
    assert len(out) == 4 and all(math.isfinite(v) for v in out), (config, out)


@st.composite
def invalid_values(draw) -> tuple[str, object]:
    """A setting and a value its schema refuses: out of range, NaN or infinite, a fraction for an integer, a
    choice that does not exist, or a non-bool for a switch."""
    name = draw(st.sampled_from([n for n, s in SETTINGS.items()
                                 if s.range or s.choices or s.type == "bool" or s.widget == "text"]))
    s = SETTINGS[name]
    if s.widget == "text":  # a list of hidden layer sizes
        return name, draw(st.one_of(st.integers(), st.none(), st.text(max_size=8)).filter(
            lambda v: not _valid_layers(name, v)))
    if s.range:
        lo, hi, lo_inc, hi_inc, integer = s.range
        options = [st.floats(max_value=lo, exclude_max=lo_inc, allow_nan=False),
                   st.floats(min_value=hi, exclude_min=hi_inc, allow_nan=False),
                   st.sampled_from([math.nan, math.inf, -math.inf]), st.text(max_size=5), st.booleans()]
        if integer:
            options += [st.integers(max_value=int(lo) - 1), st.integers(min_value=int(hi) + 1),
                        st.floats(lo, hi).filter(lambda v: not float(v).is_integer())]
        return name, draw(st.one_of(options))
    if s.choices:
        return name, draw(st.one_of(st.text(max_size=12), st.integers(), st.none()).filter(
            lambda v: v not in s.choices or isinstance(v, bool)))
    return name, draw(st.one_of(st.integers(), st.text(max_size=5), st.none()))


def _valid_layers(name: str, value: object) -> bool:
    try:
        hidden_layers(name, value)
        return True
    except ConfigError:
        return False


@settings(max_examples=300, deadline=None)
@given(case=invalid_values())
def test_any_invalid_value_raises_the_schemas_error_naming_field_and_range(case):
    name, value = case
    with pytest.raises(ConfigError) as caught:
        GANConfig(**{name: value})
    e = caught.value
    assert isinstance(e, ValueError) and e.field == name and name in str(e)
    if SETTINGS[name].range:
        assert e.code == "out_of_range" and range_text(name) in str(e)
    elif SETTINGS[name].choices:
        assert e.code == "not_allowed" and all(str(c) in str(e) for c in SETTINGS[name].choices)
    elif SETTINGS[name].widget == "text":
        assert e.code == "bad_layers" and "1..2048" in str(e)
    else:
        assert e.code == "not_bool"


def _number_values(name: str) -> st.SearchStrategy:
    lo, hi, _, _, integer = RANGES[name]
    near = st.floats(lo - 1, hi + 1, allow_nan=False)  # around both ends of the range
    wide = st.floats(allow_nan=True, allow_infinity=True)
    ints = st.integers(int(lo) - 2, min(int(hi) + 2, 10**12))
    return st.one_of(near, wide, ints) if integer else st.one_of(near, wide, ints, _in_range(name))


@st.composite
def page_values(draw) -> tuple[str, object]:
    """A setting the page and the CLI both offer, and any value of its kind, allowed or not."""
    name = draw(st.sampled_from([n for n in PAGE_FIELDS if n in CLI_FIELDS]))
    s = SETTINGS[name]
    if s.range:
        return name, draw(_number_values(name))
    if s.type == "bool":
        return name, draw(st.booleans())
    if s.integer:  # a menu of numbers
        return name, draw(st.one_of(st.sampled_from(s.choices), st.integers(-100, 100)))
    if s.widget == "text":  # hidden layers: valid lists and any text
        return name, draw(st.one_of(st.lists(st.integers(-1, 3000), max_size=5).map(lambda v: ",".join(map(str, v))),
                                    st.text(max_size=8)))
    return name, draw(st.one_of(st.sampled_from(s.choices), st.text(max_size=8)))


@pytest.fixture(scope="module")
def page_app(tmp_path_factory, worker):
    from ganapp.ui.handlers import GanApp

    registry = worker_registry(worker)
    yield GanApp(registry, tmp_path_factory.mktemp("files"))
    registry.close()


def _page_accepts(app, name: str, value: object) -> bool:
    import gradio as gr

    base = GANConfig.default_for("ring8")
    controls = {f: getattr(base, f) for f in PAGE_FIELDS} | {"data_files": None, "init": "scratch", name: value}
    try:
        app.settings.read_config("zh", tuple(controls[f] for f in CONTROL_FIELDS))
        return True
    except gr.Error:
        return False


def _cli_accepts(name: str, value: object) -> bool:
    argv = ["train", "--out", "x.safetensors", "--dataset", "ring8"]
    if SETTINGS[name].type == "bool":
        argv += [SETTINGS[name].flag] if value else []
    elif name == "dataset":
        argv[-1] = str(value)
    else:
        argv.append(f"{SETTINGS[name].flag}={value}")  # "=": a value that starts with "-" is not a flag
    try:
        cli._config(cli._parser().parse_args(argv))
        return True
    except (cli.UsageError, ValueError):
        return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=page_values())
def test_the_cli_and_the_page_accept_and_refuse_the_same_values(page_app, case):
    name, value = case
    assert _cli_accepts(name, value) == _page_accepts(page_app, name, value), case


def test_the_cli_and_the_page_agree_on_chosen_values(page_app):
    """The property above is not vacuous: on values picked by hand, both accept, or both refuse, as expected."""
    accepted = [("z_dim", 3), ("z_dim", 3.0), ("beta1", 0.0), ("dataset", "moons"), ("image_size", 64),
                ("lr_g", 1e-300), ("seed", 2**31 - 1)]
    refused = [("z_dim", 0), ("z_dim", 2.5), ("beta1", -0.5), ("beta1", 1.0), ("lr_g", math.nan),
               ("dataset", "folder"), ("dataset", "imagenet"), ("model", "dcgan"), ("conditional", True),
               ("channels", 2), ("seed", 2**31)]
    for name, value in accepted:
        assert _cli_accepts(name, value) and _page_accepts(page_app, name, value), (name, value)
    for name, value in refused:
        assert not _cli_accepts(name, value) and not _page_accepts(page_app, name, value), (name, value)
