"""The page's link (issue 26, section 1): opening an address fills the controls, hides and locks the ones it names,
and says each refused part in the reader's language; a locked control is refused on the server whatever sends it;
the teacher pushes a link to the class by the lesson's path, and a student cannot unlock what it locks."""

import asyncio
from types import SimpleNamespace

import gradio as gr
import pytest

from conftest import TEACHER_TOKEN as TOKEN
from conftest import tiny_2d
from ganapp.gan.config import PAGE_FIELDS, GANConfig
from ganapp.run.links import encode_config

TEACHER = SimpleNamespace(session_hash="teacher", client=SimpleNamespace(host="10.0.0.2"))
N = len(PAGE_FIELDS)


def req(name):
    return SimpleNamespace(session_hash=name, client=SimpleNamespace(host="10.0.0.1"))


def page_values(config: GANConfig) -> list:
    return [getattr(config, f) for f in PAGE_FIELDS]


def _open(app, page, query, lang="en", shown=None):
    """What the page's load does after attaching: the link handler with the address's query and the controls."""
    out = app.links.open_link(req(page), lang, query, *page_values(shown or GANConfig.default_for("mnist_10k")))
    return SimpleNamespace(lang=out[0], address=out[1], controls=dict(zip(PAGE_FIELDS, out[2:2 + N])),
                           lesson=out[2 + N], note=out[-1].replace("\\", ""))  # (markdown escapes)


@pytest.mark.parametrize("lang, words", [("en", ("Not taken from the link", "1..512", "must be one of")),
                                         ("zh", ("链接中的这一项未被采用", "1..512", "z_dim"))])
def test_two_bad_fields_are_named_in_the_readers_language_and_the_good_one_applies(school, lang, words):
    app, _, _ = school
    opened = _open(app, "p", f"dataset=ring8&z_dim=9999&loss=warp&lr_g=0.005&lang={lang}")
    assert opened.lang == lang
    assert opened.controls["dataset"]["value"] == "ring8" and opened.controls["lr_g"]["value"] == 0.005
    assert opened.controls["z_dim"]["value"] == GANConfig.default_for("ring8").z_dim  # the refused one: default
    assert opened.controls["loss"]["value"] == "non_saturating"
    for word in words:
        assert word in opened.note
    assert opened.note.count("\n\n") == 1  # two refusals, one line each
    assert "warp" in opened.note and "9999" in opened.note
    assert "lr_g=0.005" in opened.address and "z_dim=2&" in opened.address and "warp" not in opened.address


def test_hidden_and_locked_controls_are_shown_so_and_a_locked_change_is_refused_on_the_server(school):
    app, _, _ = school
    opened = _open(app, "p", encode_config(tiny_2d(), lock=["loss", "lr_g"], hide=["bf16"]))
    assert opened.controls["loss"]["interactive"] is False and opened.controls["lr_g"]["interactive"] is False
    assert opened.controls["bf16"]["visible"] is False and opened.controls["seed"]["interactive"] is True
    assert "Locked by this page's link: Loss, Learning rate of G" in opened.note
    assert "本页链接锁定了" in app.links.note(req("p"), "zh")
    # a hidden widget is not access control: the API, a forged event and Start are refused on the server
    with pytest.raises(gr.Error, match="Loss is locked at non_saturating"):
        app.settings.set_setting(req("p"), "en", "loss", "hinge")
    with pytest.raises(gr.Error, match="G 的学习率"):
        app.settings.settings_changed(req("p"), "zh", ("lr_g",), 0.5)
    app.settings.set_setting(req("p"), "en", "seed", 3)  # an unlocked one goes through
    forged = page_values(tiny_2d(lr_g=0.5)) + [None, "scratch"]
    with pytest.raises(gr.Error, match="Learning rate of G is locked"):
        app.train.start(req("p"), "en", 0, *forged)
    assert app.registry.visitor("p").run is None
    # the address the page writes keeps the hide and lock lists
    assert "lock=loss,lr_g" in app.links.current_link(req("p"), "en", None, *page_values(tiny_2d()))
    # a page opened without lock= ends them: the link's lock guards a slip, not a student who drops it
    _open(app, "p", "")
    app.settings.set_setting(req("p"), "en", "loss", "hinge")


def test_the_address_is_not_written_before_the_page_read_its_link(school):
    app, _, _ = school
    assert app.links.current_link(req("q"), "en", None, *page_values(tiny_2d())) == gr.skip()
    _open(app, "q", "")
    assert "dataset=ring8" in app.links.current_link(req("q"), "en", None, *page_values(tiny_2d()))


def test_a_lesson_in_a_link_fills_its_settings_under_the_links_own(school):
    app, _, _ = school
    opened = _open(app, "p", "lesson=mode_collapse&seed=5")
    assert opened.lesson == "mode_collapse" and opened.controls["dataset"]["value"] == "grid25"
    assert opened.controls["seed"]["value"] == 5
    assert app.registry.visitor("p").state.lesson == "mode_collapse"


def test_a_teacher_pushes_a_locked_link_and_a_student_cannot_unlock_it(school):
    app, room, h = school
    link = "http://class.local:7860/?" + encode_config(tiny_2d(loss="hinge"))
    # a student's page cannot push (the teacher's token is checked on the server)
    with pytest.raises(gr.Error):
        asyncio.run(h.push_link(req("s"), "en", "wrong", link, ["loss"], []))
    assert room.lesson is None
    said = asyncio.run(h.push_link(TEACHER, "en", TOKEN, link, ["loss", "lr_d"], ["bf16"]))
    assert "reached the class (2 locked, 1 hidden)" in said
    # the student's page takes it as it takes a lesson: at its tick's new number
    number = app.live.tick(req("s"), "en").lesson_no
    taken = app.take_lesson(req("s"), "en", number, *page_values(GANConfig.default_for("mnist_10k")))
    controls = dict(zip(PAGE_FIELDS, taken[:N]))
    assert controls["loss"] == {"__type__": "update", "value": "hinge", "visible": True, "interactive": False}
    assert controls["bf16"]["visible"] is False and controls["dataset"]["value"] == "ring8"
    assert "Locked by your teacher: Loss, Learning rate of D" in app.links.note(req("s"), "en")
    # opening a link without lock= (or with another value) does not undo the teacher's lock
    _open(app, "s", "loss=minimax")
    with pytest.raises(gr.Error, match="Loss is locked at hinge"):
        app.settings.set_setting(req("s"), "en", "loss", "minimax")
    with pytest.raises(gr.Error, match="Loss is locked"):
        app.train.start(req("s"), "en", 0, *page_values(tiny_2d(loss="minimax")), None, "scratch")
    # a refused link is not pushed, and says why in the teacher's language
    with pytest.raises(gr.Error, match="链接未推送"):
        asyncio.run(h.push_link(TEACHER, "zh", TOKEN, "z_dim=0", [], []))
    # a lesson set afterwards ends the link's locks
    asyncio.run(h.set_lesson(TEACHER, "en", TOKEN, "mode_collapse"))
    assert room.locked() == {}
    app.settings.set_setting(req("s"), "en", "loss", "minimax")
