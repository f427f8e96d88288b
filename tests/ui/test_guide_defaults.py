"""The teacher's guide says what the page really opens with: every default it names, in English and 简体中文, is the
schema's (ganapp.gan.config)."""

import re

import pytest

from ganapp.gan.config import DATASETS, SETTINGS, GANConfig
from ganapp.ui.lessons import GUIDE_FILES

# "mnist_10k, the default", "ring8 (the default)"; "默认的 mnist_10k", "ring8（默认）"
NAMED_DEFAULT = {
    "en": [r"`?([A-Za-z0-9_]+)`?,? \(?the default\b"],
    "zh": [r"默认的\s*`?([A-Za-z0-9_]+)", r"([A-Za-z0-9_]+)`?\s*（默认"],
}
# a dataset's own default value of a setting, by the symbol the guide writes: "grid25's defaults: the R1 penalty
# γ = 0.1", "grid25 的默认设置比较：R1 惩罚 γ = 0.1"
SYMBOLS = {"γ": "r1_gamma"}
DATASET_DEFAULT = {
    "en": r"([a-z0-9_]+)'s defaults?\b[^.?!]*?(γ) = ([0-9.]+)",
    "zh": r"([a-z0-9_]+) 的默认设置[^。？！]*?(γ) = ([0-9.]+)",
}


def _claims(lang: str) -> tuple[list[str], list[tuple[str, str, float]]]:
    text = GUIDE_FILES[lang].read_text(encoding="utf-8")
    named = [m for pattern in NAMED_DEFAULT[lang] for m in re.findall(pattern, text)]
    per_dataset = [(ds, SYMBOLS[sym], float(v)) for ds, sym, v in re.findall(DATASET_DEFAULT[lang], text)]
    return named, per_dataset


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_default_the_guide_names_is_the_schema_s(lang):
    named, per_dataset = _claims(lang)
    assert named and per_dataset, f"the {lang} guide's claims about defaults were not found"
    page = GANConfig()  # what the page opens with (build_demo starts from the default dataset's settings)
    for value in named:
        fields = [name for name, s in SETTINGS.items() if s.choices and value in s.choices]
        assert fields, f"the {lang} guide calls {value!r} a default, and no setting offers it"
        for field in fields:
            assert getattr(page, field) == value, \
                f"the {lang} guide says {value!r} is the default {field}; the schema's is {getattr(page, field)!r}"
    for dataset, field, value in per_dataset:
        assert dataset in DATASETS, dataset
        actual = getattr(GANConfig.default_for(dataset), field)
        assert actual == pytest.approx(value), f"the {lang} guide says {dataset}'s {field} is {value}; it is {actual}"


def test_the_page_opens_on_the_schema_s_default_dataset(app):
    """What the guide's claims are checked against is what the page shows when it opens."""
    from ganapp.ui.layout import build_demo

    demo = build_demo(app)
    shown = {c.elem_id: c.value for c in demo.blocks.values() if getattr(c, "elem_id", None) in ("dataset", "model")}
    assert shown == {"dataset": GANConfig().dataset, "model": GANConfig().model}
