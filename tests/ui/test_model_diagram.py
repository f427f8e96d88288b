"""Issue 26, part 2: the model diagram above the curves (ganapp.ui.diagram), lit by the update on screen: its SVG
function, and the page's handlers that draw it from what the tick read."""

import math
import xml.etree.ElementTree as ET

import gradio as gr
import pytest

from conftest import CONTROLS, req, wait_until
from ganapp.ui import i18n
from ganapp.ui.diagram import model_diagram_svg

VALUES = {"d_loss": 1.2345, "g_loss": 0.6931, "d_x": 0.7234, "d_g_z": 0.3125}


def parts(markup: str) -> dict[str, ET.Element]:
    """The diagram's boxes and arrows by their data-part (the markup must be well-formed: an SVG in a div)."""
    root = ET.fromstring(markup)
    return {e.get("data-part"): e for e in root.iter() if e.get("data-part")}


def lit(markup: str) -> dict[str, str]:
    return {name: e.get("data-lit") for name, e in parts(markup).items() if e.get("data-lit")}


def text(markup: str) -> str:
    return " ".join("".join(ET.fromstring(markup).itertext()).split())


def test_a_d_update_lights_ds_path_and_not_gs():
    out = model_diagram_svg("en", "d", VALUES)
    shown = lit(out)
    assert set(shown.values()) == {"d"}
    assert {"D", "real", "d_real", "d_fake", "d_loss", "real-D", "fake-D", "d_real-d_loss"} <= set(shown)
    assert not {"G", "z", "g_loss", "z-G", "G-fake", "d_fake-g_loss"} & set(shown)
    boxes = parts(out)
    assert boxes["D"].get("data-state") == "moves" and boxes["G"].get("data-state") == "frozen"
    assert 'data-term="d"' in out and 'data-term="g"' not in out  # the caption marks the term D follows
    assert "D update" in text(out) and "D climbs both terms" in text(out)


def test_a_g_update_lights_gs_path_and_not_ds():
    out = model_diagram_svg("en", "g", VALUES)
    shown = lit(out)
    assert set(shown.values()) == {"g"}
    assert {"z", "G", "fake", "d_fake", "g_loss", "z-G", "G-fake", "fake-D", "D-d_fake", "d_fake-g_loss"} <= \
        set(shown)
    assert not {"D", "real", "d_real", "d_loss", "real-D", "d_real-d_loss"} & set(shown)  # D is read, not moved
    boxes = parts(out)
    assert boxes["G"].get("data-state") == "moves" and boxes["D"].get("data-state") == "frozen"
    assert 'data-term="g"' in out and 'data-term="d"' not in out
    assert "G update" in text(out)


def test_no_phase_lights_nothing_and_names_no_update():
    out = model_diagram_svg("en", "", VALUES)
    assert lit(out) == {} and "data-state" not in out and "data-term" not in out
    assert "D update" not in text(out) and "G update" not in text(out)  # the status's phase words are not in it
    assert "Step D and Step G" in text(out)


def test_each_box_shows_its_live_number_and_a_missing_one_reads_as_a_dash():
    words = text(model_diagram_svg("en", "", VALUES))
    for shown in ("D(x) = 0.72", "D(G(z)) = 0.31", "D's loss 1.23", "G's loss 0.693"):
        assert shown in words, words
    words = text(model_diagram_svg("en", "", {"d_loss": math.nan, "g_loss": math.inf, "d_x": "<b>x</b>"}))
    assert "D's loss —" in words and "G's loss ∞" in words and "D(x) = —" in words and "D(G(z)) = —" in words
    assert "nan" not in words.lower()
    assert "D(x) = —" in text(model_diagram_svg("en", "", None))  # no run yet: every number a dash


def test_the_labels_follow_the_language():
    en, zh = text(model_diagram_svg("en", "d", VALUES)), text(model_diagram_svg("zh", "d", VALUES))
    assert "z noise" in en and "x real" in en and "updating" in en and "frozen" in en
    for word in ("噪声 z", "x 真实", "D 的损失 1.23", "G 的损失 0.693", "更新中", "冻结", "D 更新", "D 提升两项"):
        assert word in zh, word
    assert "noise" not in zh and "loss" not in zh
    assert 'lang="zh"' in model_diagram_svg("zh") and 'lang="en"' in model_diagram_svg("fr")  # unknown: English


def test_every_string_is_escaped(monkeypatch):
    monkeypatch.setitem(i18n.STRINGS["en"], "diagram_noise", "<script>alert(1)</script>")
    monkeypatch.setitem(i18n.STRINGS["en"], "diagram_g_loss", "G's \"loss\" {value} & <i>")
    out = model_diagram_svg("en", "g", {**VALUES, "d_x": "<img src=x onerror=alert(1)>"})
    assert "<script" not in out and "<img" not in out and "<i>" not in out
    assert "&lt;script&gt;" in out and "&amp; &lt;i&gt;" in out
    ET.fromstring(out)  # still well-formed
    assert "<script>alert(1)</script>" in text(out)  # shown as text


@pytest.mark.parametrize("phase", ["both", "D", None, "<b>"])
def test_an_unknown_phase_is_refused_naming_the_field(phase):
    with pytest.raises(gr.Error) as e:
        model_diagram_svg("en", phase, VALUES)
    assert "phase" in str(e.value.message) and "<b>" not in str(e.value.message)


def _diagram_after_ticks(app, name: str, lang: str, want) -> str:
    """The diagram the page is sent, ticking (and asking for it on each new frame, as the page does) until ``want``
    holds of it; the last one sent."""
    sent = [None]

    def check() -> bool:
        app.live.tick(req(name), lang)
        out = app.live.diagram(req(name), lang)
        if out != gr.skip():  # a skip: the page shows that diagram already
            sent[0] = out
        return sent[0] is not None and want(sent[0])

    assert wait_until(check), sent[0]
    return sent[0]


def test_step_d_in_slow_motion_lights_d_then_step_g_lights_g(app, worker):
    app.train.set_slow_motion(req("dg"), "en", 1.0)
    app.train.phase_step(req("dg"), "en", "d", *CONTROLS)  # builds the run, then one D update
    out = _diagram_after_ticks(app, "dg", "en", lambda h: lit(h).get("D") == "d")
    assert "G" not in lit(out) and "g_loss" not in lit(out)
    words = text(out)
    assert "D update" in words and "D(x) = —" not in words and "D's loss —" not in words  # the D update's numbers
    # unchanged: the page is not sent the same diagram again; drawn from what the tick read, with no worker call
    before = sum(worker.calls.values())
    assert app.live.diagram(req("dg"), "en") == gr.skip()
    assert sum(worker.calls.values()) == before
    zh = app.live.diagram(req("dg"), "zh")  # the language switch redraws it from what the tick read
    assert "更新中" in text(zh) and lit(zh).get("D") == "d"

    app.train.phase_step(req("dg"), "en", "g", *CONTROLS)
    out = _diagram_after_ticks(app, "dg", "en", lambda h: lit(h).get("G") == "g")
    assert "D" not in lit(out) and "d_loss" not in lit(out) and "G update" in text(out)
