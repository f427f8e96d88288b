"""A setup as a link (ganapp.run.links): any valid config survives the round trip, and a bad key is refused on its
own, with the schema's code, while the rest of the link applies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganapp.gan.config import DATASETS_2D, HIDDEN_RANGE, PAGE_FIELDS, SETTINGS, GANConfig
from ganapp.run.links import LINK_FIELDS, encode_config, parse
from ganapp.run.lessons import LESSONS


def _value(setting) -> st.SearchStrategy:
    """Any allowed value of one setting, from its schema (a setting added to the schema is covered at once)."""
    if setting.choices is not None:
        return st.sampled_from(setting.choices)
    if setting.range is not None:
        lo, hi, lo_inc, hi_inc, integer = setting.range
        if integer:
            return st.integers(int(lo), int(hi))
        return st.floats(lo, hi, exclude_min=not lo_inc, exclude_max=not hi_inc, allow_nan=False)
    if setting.type == "bool":
        return st.booleans()
    if setting.widget == "text":  # an MLP's hidden layers (g_hidden, d_hidden): "" or 1 to 4 sizes, "128,64"
        return st.lists(st.integers(*HIDDEN_RANGE), max_size=4).map(lambda sizes: ",".join(map(str, sizes)))
    return st.text(max_size=8)


@st.composite
def configs(draw) -> GANConfig:
    """A valid config whose every page setting is drawn from its range (conflicting pairs repaired)."""
    values = {f: draw(_value(SETTINGS[f])) for f in PAGE_FIELDS}
    if values["dataset"] in DATASETS_2D:
        values["model"] = "mlp"
    if values["dataset"] not in ("mnist_10k", "mnist", "fashion_mnist", "cifar10"):
        values["conditional"] = False
    data_path = "/some/folder" if values["dataset"] in ("folder", "drawn") else ""
    return GANConfig(**values, data_path=data_path, device=draw(_value(SETTINGS["device"])),
                     n_fixed=draw(_value(SETTINGS["n_fixed"])))


@settings(max_examples=300, deadline=None)
@given(config=configs(), lesson=st.none() | st.sampled_from(list(LESSONS)), lang=st.sampled_from([None, "en", "zh"]),
       hide=st.lists(st.sampled_from(LINK_FIELDS), unique=True, max_size=4),
       lock=st.lists(st.sampled_from(LINK_FIELDS), unique=True, max_size=4))
def test_any_valid_config_survives_the_link_round_trip(config, lesson, lang, hide, lock):
    link = parse(encode_config(config, lesson=lesson, lang=lang, hide=hide, lock=lock))
    assert link.refused == ()
    # what no control shows (the data path, the device, the grid's size) is not in a link: it comes from the base
    base = GANConfig.default_for(config.dataset, data_path=config.data_path, device=config.device,
                                 n_fixed=config.n_fixed)
    assert link.config(base) == config
    assert {k: type(v) for k, v in link.values.items()} == {f: type(getattr(config, f)) for f in PAGE_FIELDS}
    assert (link.lesson, link.lang, link.hide, link.lock) == (lesson, lang, tuple(hide), tuple(lock))


def test_a_link_holds_every_setting_of_the_page_and_no_server_path():
    config = GANConfig.default_for("folder", data_path="/srv/secret/uploads")
    query = encode_config(config)
    assert [k.split("=")[0] for k in query.split("&")] == list(PAGE_FIELDS)
    assert "secret" not in query and "device" not in query


def test_two_bad_settings_are_refused_and_the_good_one_applies():
    link = parse("?dataset=ring8&z_dim=9999&lr_g=fast&loss=hinge")
    assert link.values == {"dataset": "ring8", "loss": "hinge"}
    assert [(e.field, e.code) for e in link.refused] == [("z_dim", "out_of_range"), ("lr_g", "out_of_range")]
    assert link.refused[0].params["range"] == "1..512"
    assert link.config() == GANConfig.default_for("ring8", loss="hinge")


def test_unknown_keys_lessons_languages_and_control_names_are_refused_one_by_one():
    link = parse("colour=red&lesson=nope&lang=fr&lock=loss,warp&hide=bf16&view=api&__theme=dark&image_size=30")
    assert [(e.field, e.code) for e in link.refused] == [
        ("colour", "unknown_field"), ("lesson", "not_allowed"), ("lang", "not_allowed"), ("lock", "not_allowed"),
        ("image_size", "not_allowed")]
    assert link.refused[3].params["value"] == "warp"
    assert (link.lock, link.hide, link.values) == (("loss",), ("bf16",), {})


def test_settings_that_conflict_are_refused_and_the_dataset_stays():
    link = parse({"dataset": "ring8", "model": "dcgan", "conditional": "true", "seed": "7"})
    assert {(e.field, e.code) for e in link.refused} == {("model", "needs_images"), ("conditional", "needs_labels")}
    assert link.values == {"dataset": "ring8", "seed": 7}


@pytest.mark.parametrize("text", ["nan", "inf", "-1", "1e400", "2.5", "true", ""])
def test_a_bad_number_is_refused_with_its_range(text):
    link = parse({"n_critic": text})
    assert link.values == {} and link.refused[0].code == "out_of_range"
    assert link.refused[0].params["range"] == "1..20"


def test_a_bool_is_true_or_false_and_an_overlong_link_is_refused_whole():
    assert parse("bf16=true").values == {"bf16": True}
    assert parse("bf16=yes").refused[0].code == "not_bool"
    link = parse("seed=1&" + "x" * 9000)
    assert link.values == {} and link.refused[0].field == "link"

