"""The page's controls that are not settings of a run (the step count, a timed run's minutes, slow motion, the
curves' smoothing, truncation, interpolation frames) are checked by the settings schema's own check_range: each
refusal names the control and its range in the reader's language, as a setting's does, and changes nothing."""

import gradio as gr
import pytest

from ganapp.ui.base import CONTROL_RANGES
from ganapp.ui.i18n import t

from conftest import CONTROLS, req


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_control_out_of_range_is_refused_by_name_and_range(app, lang):
    app.train.step(req("c"), "en", 2, *CONTROLS)  # a run to refuse things to
    cases = [
        ("step_n", "1..10000", lambda v: app.train.step(req("c"), lang, v, *CONTROLS), [0, 2.5, 10_001, True]),
        ("run_minutes", "[0, 600]", lambda v: app.train.start(req("c"), lang, v, *CONTROLS), [-1, 601, float("nan")]),
        ("slow_motion", "[0, 5]", lambda v: app.train.set_slow_motion(req("c"), lang, v), [-0.1, 9, "2"]),
        ("smoothing", "[0, 0.99]", lambda v: app.train.set_smoothing(req("c"), lang, v), [1.0, -0.5]),
        ("truncation", "[0, 1]",
         lambda v: app.explore.explore(req("c"), lang, "training", 0, v, 0, *[0.0] * 8, *[0.0] * 6, None, 0.0),
         [1.5, -1]),
        ("n_frames", "2..64",
         lambda v: app.explore.interpolate(req("c"), lang, "training", 0, 1, "lerp", v, 1.0), [1, 65, 3.5]),
    ]
    # grid_amount's refusals are tested with the 9-seed view, which needs directions found first
    # (tests/ui/test_explore_direction_grid.py)
    assert {name for name, *_ in cases} | {"grid_amount"} == set(CONTROL_RANGES)
    for name, allowed, call, values in cases:
        for value in values:
            with pytest.raises(gr.Error) as info:
                call(value)
            message = info.value.message
            assert message.startswith(t(lang, name)) and allowed in message, (name, value, message)
    run = app.registry.visitor("c").run
    assert run.status().slow_motion_s == 0.0 and app.registry.page("c").smoothing is None  # nothing changed


def test_values_in_range_are_taken_as_numbers(app):
    app.train.set_slow_motion(req("d"), "en", 5)
    app.train.set_smoothing(req("d"), "en", 0)
    assert app.registry.visitor("d").state.slow_motion_s == 5.0 and app.registry.page("d").smoothing == 0.0
