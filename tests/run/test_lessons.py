"""Lessons: their settings, their pacing (pace, step budget, key moment) in a session, the page's handlers, the live
status line in both languages, and the teacher's guide against the UI's own labels. The lessons' phenomena
themselves are checked by the quality-marked tests in test_quality_lessons.py."""

import re
import time
from dataclasses import replace

import gradio as gr
import pytest

from ganapp.gan.config import GANConfig
from ganapp.gan.data import ASSETS_DIR
from ganapp.run.lessons import LESSONS, Lesson, PauseAt, get_lesson, lesson_config
from ganapp.run.publisher import Snapshot
from ganapp.run.run import PAUSED, Run
from ganapp.ui.handlers import CONTROL_FIELDS
from ganapp.ui.i18n import STRINGS, t
from ganapp.ui.lessons import GUIDE_FILES, PHASE_TEX, lesson_for, lesson_markdown, live_lines

from conftest import req, tiny_2d, wait_until


def tiny_lesson(**changes) -> Lesson:
    return Lesson("mode_collapse", "ring8", {}, metric="modes", window_steps=(0, 100), **changes)


def test_every_lesson_builds_its_runs_and_says_what_to_watch_in_both_languages():
    for name, lesson in LESSONS.items():
        config = lesson.config()
        assert config == lesson_config(name) and config.dataset == lesson.dataset
        run_b = lesson.run_b_config()
        if lesson.run_b is None:
            assert run_b is None
        else:
            assert set(config.diff(run_b)) == set(lesson.run_b), name  # run B differs in exactly what it says
        for lang in ("en", "zh"):
            text = lesson_markdown(lang, name)
            assert t(lang, f"preset_{name}_text") in text and t(lang, f"lesson_{name}_watch") in text
    with pytest.raises(ValueError, match="lesson='nope' is not allowed"):
        get_lesson("nope")
    assert lesson_markdown("en", None) == ""


def test_the_side_by_side_lessons_compare_what_they_name():
    assert LESSONS["saturation"].config().loss == "minimax" and LESSONS["saturation"].run_b == {
        "loss": "non_saturating"}
    assert LESSONS["wgan_smooth"].config().loss == "wgan_gp" and LESSONS["wgan_smooth"].run_b_config().loss == "minimax"
    assert LESSONS["mlp_vs_dcgan"].config().model == "dcgan" and LESSONS["mlp_vs_dcgan"].run_b_config().model == "mlp"
    assert LESSONS["mode_collapse"].config().r1_gamma == 0 and LESSONS["mode_collapse"].window_s == 120.0


def test_a_paced_lesson_trains_alone_at_no_more_than_its_pace():
    session = Run(tiny_2d())
    session.set_lesson(tiny_lesson(steps_per_s=20.0))
    assert session.stack_key() is None  # paced runs keep their own pace outside any stack
    t0 = time.perf_counter()
    session.start()
    assert wait_until(lambda: session.trainer.step_count >= 12, 10)  # long enough for a faster run to show
    session.pause()
    elapsed = time.perf_counter() - t0
    assert 12 <= session.trainer.step_count <= 20.0 * elapsed + 2  # never above the pace (a busy machine: below)
    session.stop()


def test_a_lesson_pauses_at_its_step_budget_and_says_why():
    session = Run(tiny_2d(), publish_every_s=0.05)
    session.set_lesson(tiny_lesson(step_budget=7))
    session.start()
    assert wait_until(lambda: session.state == PAUSED, 20)
    snap = session.snapshot(None)
    assert snap.step == 7 and snap.lesson == "mode_collapse" and snap.lesson_event == ("budget", {"steps": 7})
    assert "budget of 7 steps" in snap.message
    session.start()  # a new start at the budget pauses at once again: a Reset starts over
    assert wait_until(lambda: session.state == PAUSED, 10)
    assert session.trainer.step_count == 7
    session.stop()


def test_a_lesson_pauses_once_at_its_key_moment():
    session = Run(tiny_2d(), publish_every_s=0.01, grid_every_s=0.01)
    session.set_lesson(tiny_lesson(pause=PauseAt("modes", 8, after_steps=5)))  # ring8: always ≤ 8 modes
    session.start()
    assert wait_until(lambda: session.state == PAUSED, 20)
    snap = session.snapshot(None)
    kind, row = snap.lesson_event
    assert kind == "pause" and row["step"] >= 5 and row["modes"] <= 8 and snap.step >= 5
    step = snap.step
    session.resume()  # the key moment has passed: it trains on
    assert wait_until(lambda: session.trainer.step_count >= step + 30, 20)
    assert session.state != PAUSED and session.snapshot(None).lesson_event is None
    session.stop()


def test_an_autosave_keeps_the_lesson_and_its_key_moment():
    session = Run(tiny_2d(), publish_every_s=0.01, grid_every_s=0.01)
    session.set_lesson(tiny_lesson(pause=PauseAt("modes", 8, after_steps=1)))
    session.start()
    assert wait_until(lambda: session.state == PAUSED, 20)
    tensors, meta = session.autosave_state()
    assert meta["session"]["lesson"] == "mode_collapse" and meta["session"]["lesson_fired"] is True
    back = Run.from_autosave(tensors, meta)  # a restore looks the lesson up by its name
    assert back.lesson is LESSONS["mode_collapse"] and back.lesson_run.fired
    meta["session"]["lesson"] = None
    assert Run.from_autosave(tensors, meta).lesson is None
    session.stop()


def test_a_run_follows_a_lesson_only_while_its_settings_are_the_lessons():
    config = LESSONS["saturation"].config()
    assert lesson_for("saturation", config.replace(device="cpu")) is LESSONS["saturation"]
    assert lesson_for("saturation", config.replace(lr_d=1e-3)) is None
    assert lesson_for(None, config) is None and lesson_for("nope", config) is None


def _controls(config: GANConfig) -> list:
    return [getattr(config, f) for f in CONTROL_FIELDS[:-2]] + [None, "scratch"]


def test_picking_a_lesson_fills_the_controls_and_start_runs_it_with_its_run_b(app, monkeypatch):
    lesson = replace(LESSONS["saturation"], changes={**LESSONS["saturation"].changes, "g_width": 8, "d_width": 8,
                                                      "batch_size": 16})
    monkeypatch.setitem(LESSONS, "saturation", lesson)
    out = app.lessons.pick_lesson(req("a"), "en", "saturation")
    n = CONTROL_FIELDS.index("data_files")
    assert out[:n] == [getattr(lesson.config(), f) for f in CONTROL_FIELDS[:n]]
    assert out[n] == lesson_markdown("en", "saturation") and out[n + 1:] == [0.0, 0.0]
    app.train.start(req("a"), "en", 0, *_controls(lesson.config()))
    visitor = app.registry.visitor("a")
    assert visitor.run.lesson is lesson and visitor.run_b is not None and visitor.run_b.lesson is lesson
    assert visitor.run_b.config.loss == "non_saturating" and visitor.run.config.loss == "minimax"
    assert wait_until(lambda: visitor.run.snapshot(None).step > 0, 20)
    status = app.live.poll(req("a"), "en").status
    assert t("en", "lesson_now", lesson=t("en", "preset_saturation")) in status
    # a changed setting makes it a free run: no pace, no budget (Start applies the change live)
    app.train.pause(req("a"), "en")
    app.train.start(req("a"), "en", 0, *_controls(lesson.config().replace(lr_g=5e-4)))
    assert visitor.run.lesson is None
    app.train.pause(req("a"), "en")


def test_the_lesson_text_follows_the_language_and_an_unknown_lesson_changes_nothing(app):
    n = CONTROL_FIELDS.index("data_files")
    assert app.lessons.pick_lesson(req("a"), "en", "nope") == [gr.update()] * (n + 3)
    assert app.registry.visitor("a").state.lesson is None
    assert lesson_markdown("zh", "mode_collapse") != lesson_markdown("en", "mode_collapse")
    assert "模式崩溃" in lesson_markdown("zh", "mode_collapse")


def _snap(step=400, phase="", view_metrics=(), scores=(), event=None, lesson="mode_collapse") -> Snapshot:
    return Snapshot(state=PAUSED, step=step, epoch=None, it_s=0.0, elapsed_s=1.0, device="cpu", message="",
                    sharing=1, metrics={}, grid=None, grid_version=0, points=None, config=GANConfig(),
                    scores=list(scores), view_metrics=list(view_metrics), phase=phase, lesson=lesson,
                    lesson_event=event)


def test_the_live_line_of_every_lesson_formats_in_both_languages():
    row = {"step": 400, "modes": 3, "n_modes": 25, "g_grad": 0.01, "g_grad_far": 0.9, "d_x": 0.99, "d_g_z": 0.01}
    row_b = {**row, "g_grad": 0.5, "g_grad_far": 0.0}
    scores = [{"step": 500, "frechet_distance": 40.0}]
    for lang in ("en", "zh"):
        for name, lesson in LESSONS.items():
            for phase in ("", "d", "g"):
                event = ("pause", row) if lesson.pause is not None else None
                a = _snap(phase=phase, view_metrics=[row], scores=scores, event=event, lesson=name)
                b = _snap(view_metrics=[row_b], scores=scores, lesson=name)
                lines = live_lines(lang, lesson, a, b)
                assert lines[0] == t(lang, "lesson_now", lesson=t(lang, f"preset_{name}"))
                assert not any("{" in line and "}" in line and "$$" not in line for line in lines), lines
        budget = live_lines(lang, LESSONS["saturation"], _snap(event=("budget", {"steps": 600})), None)
        assert t(lang, "lesson_budget", steps="600") in budget
    sat = live_lines("en", LESSONS["saturation"], _snap(view_metrics=[row]), _snap(view_metrics=[row_b]))
    assert "**0.01**" in sat[1] and "**0.5**" in sat[1] and "50×" in sat[1]
    far = live_lines("en", LESSONS["wgan_smooth"], _snap(view_metrics=[row]), _snap(view_metrics=[row_b]))
    assert "∞" in far[1]  # B's pull is exactly 0: the critic's is infinitely steeper
    collapse = live_lines("en", LESSONS["mode_collapse"], _snap(view_metrics=[row], event=("pause", row)), None)
    assert "3 of 25" in collapse[1] and any("The key moment" in line for line in collapse)


def test_the_alternating_lesson_boxes_the_term_each_update_follows():
    d = live_lines("en", LESSONS["alternating"], _snap(phase="d", lesson="alternating"), None)
    g = live_lines("en", LESSONS["alternating"], _snap(phase="g", lesson="alternating"), None)
    assert f"$${PHASE_TEX['d']}$$" in d and f"$${PHASE_TEX['g']}$$" in g
    assert r"\boxed" in PHASE_TEX["d"] and r"\log D(x)" in PHASE_TEX["d"].split(r"\boxed")[1]  # D: both terms
    assert r"\log D(x)" not in PHASE_TEX["g"].split(r"\boxed")[1]  # G: the second term only
    assert t("en", "lesson_live_phase_none") in live_lines("en", LESSONS["alternating"], _snap(lesson="alternating"),
                                                           None)


# ----- the teacher's guide -----

def _ui_strings(lang: str) -> set[str]:
    """Every label the UI shows in ``lang``, without Markdown markup."""
    return {re.sub(r"^#+\s*", "", s).strip() for s in STRINGS[lang].values()}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_guide_names_only_buttons_and_lessons_that_exist(lang):
    text = GUIDE_FILES[lang].read_text(encoding="utf-8")
    names = {" ".join(m.split()) for m in re.findall(r"\*\*(.+?)\*\*", text, flags=re.S)}
    assert len(names) >= 20, names  # every step names what to press
    missing = names - _ui_strings(lang)
    assert not missing, f"the {lang} guide names what the UI does not show: {missing}"
    for name in ("alternating", "saturation", "mode_collapse", "wgan_smooth", "mlp_vs_dcgan"):
        assert f"**{t(lang, 'preset_' + name)}**" in text, name  # the class's lessons, by their shown names
    for key in ("start", "reset", "step_d", "step_g", "tab_explore", "interpolate"):
        assert f"**{t(lang, key)}**" in text, key
    steps = re.findall(r"^## \d\. ", text, flags=re.M)
    assert len(steps) == 7  # the 45-minute plan's seven steps
    for label in (("*Press:*", "*Ask:*", "*If it does not show it:*") if lang == "en" else
                  ("*点击：*", "*提问：*", "*如果没有显示出来：*")):
        assert text.count(label) == 7, label  # each step: what to press, two questions, what if it fails
    assert len(re.findall(r"^- .+？(?:（.+）)?$" if lang == "zh" else r"^- .+\?(?: \(.+\))?$", text, flags=re.M)) >= 14


def test_the_app_links_to_the_guide_and_the_readme_does_too():
    for lang in ("en", "zh"):
        assert "](guide)" in t(lang, "for_teachers")
    assert set(GUIDE_FILES) == {"en", "zh"} and all(p.parent == ASSETS_DIR and p.exists() for p in GUIDE_FILES.values())
    readme = (ASSETS_DIR.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "ganapp/assets/teacher_guide.md" in readme and "ganapp/assets/teacher_guide.zh.md" in readme


def test_the_alternating_lesson_s_steps_move_one_player_each_as_the_formula_says():
    """Step D raises D's objective on a fixed batch (D(G(z)) falls) and leaves G alone; Step G raises
    D(G(z)) and leaves D alone (Goodfellow et al. 2014, Algorithm 1)."""
    import torch

    from ganapp.gan.trainer import Trainer

    lesson = LESSONS["alternating"]
    assert lesson.slow_motion_s > 0 and lesson.config().loss == "minimax" and lesson.config().n_critic == 1
    trainer = Trainer(lesson.config().replace(g_width=32, d_width=32, batch_size=64), download=False)
    real = trainer.data.sample(512, seed=7)
    z = torch.randn(512, trainer.config.z_dim, generator=torch.Generator().manual_seed(8))

    def scores():  # (D's objective log D(x) + log(1 − D(G(z))) on the fixed batch, D(G(z)))
        with torch.no_grad():
            real_logits, fake_logits = trainer.D(real), trainer.D(trainer.G(z))
            objective = torch.nn.functional.logsigmoid(real_logits).mean() + torch.nn.functional.logsigmoid(
                -fake_logits).mean()
            return objective.item(), torch.sigmoid(fake_logits).mean().item()

    def params(net):
        return [p.detach().clone() for p in net.parameters()]

    for _ in range(3):
        (objective, d_g_z), g_before = scores(), params(trainer.G)
        trainer.d_step()
        after = scores()
        assert all(torch.equal(a, b) for a, b in zip(g_before, params(trainer.G)))  # G is frozen
        assert after[0] > objective and after[1] < d_g_z  # D climbs its objective: D(G(z)) falls
        d_before, d_g_z = params(trainer.D), after[1]
        trainer.g_step()
        assert all(torch.equal(a, b) for a, b in zip(d_before, params(trainer.D)))  # D is frozen
        assert scores()[1] > d_g_z  # G lowers log(1 − D(G(z))): D(G(z)) rises


def test_step_d_on_a_fresh_page_builds_the_lesson_s_run_and_names_the_update(app, monkeypatch):
    lesson = replace(LESSONS["alternating"], changes={**LESSONS["alternating"].changes, "g_width": 8, "d_width": 8,
                                                       "batch_size": 16})
    monkeypatch.setitem(LESSONS, "alternating", lesson)
    app.lessons.pick_lesson(req("s"), "en", "alternating")
    app.train.phase_step(req("s"), "en", "d", *_controls(lesson.config()))  # no Start first: the step builds the run
    session = app.registry.visitor("s").run
    assert session.lesson.name == lesson.name and session.status().slow_motion_s == lesson.slow_motion_s
    snap = session.snapshot(None)
    assert snap.phase == "d" and snap.step == 0
    status = app.live.poll(req("s"), "en").status
    assert t("en", "lesson_live_phase_d") in status and PHASE_TEX["d"] in status
    app.train.phase_step(req("s"), "en", "g")
    assert session.snapshot(None).phase == "g" and session.snapshot(None).step == 1
    app.train.phase_step(req("s"), "en", "both")  # in slow motion: the engine shows D's update, then G's
    assert wait_until(lambda: session.snapshot(None).step == 2, 20)
