"""The Train tab's points upload: a CSV or .npy becomes the drawn dataset (the one a sketch becomes), and a bad file
is refused in the reader's language while nothing changes: the points, and the run that trains on them."""

import html

import gradio as gr
import numpy as np
import pytest

from ganapp.gan.points_file import MAX_POINTS_BYTES, MAX_POINTS_ROWS
from ganapp.ui.i18n import t

from conftest import CONTROLS, req, wait_until


def _bad_files(folder) -> dict:
    """One file for each reason a points file is refused, and the message's params."""
    files = {"not_numeric": ("a.csv", "1,2\n3,abc\n", {}), "not_finite": ("b.csv", "1,2\ninf,3\n", {}),
             "columns": ("c.csv", "1,2,3\n", {"columns": 3}), "empty": ("d.csv", "", {}),
             "too_many_rows": ("e.csv", "1,2\n" * (MAX_POINTS_ROWS + 1), {"limit": f"{MAX_POINTS_ROWS:,}"})}
    out = {}
    for reason, (name, text, params) in files.items():
        (folder / name).write_text(text)
        out[reason] = (folder / name, params)
    with open(folder / "f.csv", "wb") as f:
        f.truncate(MAX_POINTS_BYTES + 1)
    out["too_large"] = (folder / "f.csv", {"size": f"{MAX_POINTS_BYTES + 1:,}", "limit": f"{MAX_POINTS_BYTES:,}"})
    np.save(folder / "g.npy", np.zeros((4, 5)))
    out["columns_npy"] = (folder / "g.npy", {"columns": 5})
    return out


def test_an_uploaded_csv_is_the_drawn_dataset_and_bad_files_change_nothing(app, tmp_path):
    good = tmp_path / "two <b>clusters.csv"
    good.write_text("x,y\n0,0\n10,10\n0,0\n")
    out = app.settings.use_points(req("p"), "en", str(good))
    assert out[0] == "drawn" and out[1] == "mlp" and out[-1] is None  # the upload box emptied for the next file
    assert "3 points" in out[-2] and "<b>" not in out[-2]  # the visitor's file name is text, never HTML
    visitor = app.registry.visitor("p")
    drawn_path = visitor.state.drawn_path
    np.testing.assert_allclose(np.load(drawn_path), [[-1.6, -1.6], [1.6, 1.6], [-1.6, -1.6]], atol=1e-6)
    controls = list(CONTROLS)
    controls[0] = "drawn"
    app.train.start(req("p"), "en", 0, *controls)
    run = visitor.run
    assert run.config.dataset == "drawn" and run.config.data_path == drawn_path
    for lang in ("en", "zh"):
        for reason, (path, params) in _bad_files(tmp_path).items():
            with pytest.raises(gr.Error) as e:
                app.settings.use_points(req("p"), lang, str(path))
            key = "err_points_" + reason.removesuffix("_npy")
            assert e.value.message == t(lang, key, **params), (lang, reason)
            assert visitor.state.drawn_path == drawn_path and visitor.run is run  # nothing changed
    assert t("zh", "err_points_not_numeric") != t("en", "err_points_not_numeric")
    step = run.snapshot(None).step
    assert wait_until(lambda: run.state == "running" and run.snapshot(None).step > step, 20)  # training went on


def test_the_mlp_layer_controls_show_for_an_mlp_only():
    from ganapp.ui.settings import MLP_FIELDS, SettingsHandlers

    assert MLP_FIELDS == ("g_hidden", "d_hidden", "g_activation", "d_activation")
    assert [u["visible"] for u in SettingsHandlers.mlp_fields_shown("mlp")] == [True] * 4
    assert [u["visible"] for u in SettingsHandlers.mlp_fields_shown("dcgan")] == [False] * 4


def test_a_bad_hidden_layers_list_on_the_page_is_named_in_the_readers_language(app):
    controls = list(CONTROLS)
    from ganapp.ui.common import CONTROL_FIELDS

    controls[CONTROL_FIELDS.index("g_hidden")] = "64,<i>x</i>"
    for lang, word in (("en", "G's hidden layers"), ("zh", "G 的隐藏层")):
        with pytest.raises(gr.Error) as e:
            app.train.start(req("h"), lang, 0, *controls)
        assert e.value.message.startswith(word) and "1..2048" in e.value.message
        assert html.escape("<i>") in e.value.message and "<i>" not in e.value.message
    controls[CONTROL_FIELDS.index("g_hidden")] = "32, 16"
    app.train.start(req("h"), "en", 0, *controls)
    assert app.registry.visitor("h").run.config.g_hidden == "32,16"
