"""A handler's errors speak the language its ``lang`` argument names, wherever that argument sits; the decorator no
longer guesses it from whichever of the first arguments looks like a language code."""

from types import SimpleNamespace

import gradio as gr
import pytest

from ganapp.ui.common import guarded
from ganapp.ui.i18n import known_lang, t


class Handlers:
    @guarded
    def lang_third(self, request, name, lang):
        raise RuntimeError("boom")

    @guarded
    def text_that_looks_like_a_code(self, request, lang, text):
        raise RuntimeError("boom")

    @guarded
    def no_lang(self, request, text):
        raise RuntimeError("boom")


@pytest.mark.parametrize("call, expected", [
    (lambda h, r: h.lang_third(r, "en", "zh"), "zh"),  # the name "en" is not the language
    (lambda h, r: h.lang_third(r, "x", lang="zh"), "zh"),
    (lambda h, r: h.text_that_looks_like_a_code(r, "en", "zh"), "en"),
    (lambda h, r: h.text_that_looks_like_a_code(r, ["zh"], "zh"), "en"),  # a language that is not one: English
    (lambda h, r: h.no_lang(r, "zh"), "en"),
])
def test_the_error_speaks_the_handlers_lang_argument(call, expected):
    with pytest.raises(gr.Error) as error:
        call(Handlers(), SimpleNamespace(session_hash="p"))
    assert error.value.message == t(expected, "err_internal", reason="RuntimeError")


def test_known_lang_takes_only_the_codes_it_knows():
    assert [known_lang(v) for v in ("zh", "en", "fr", None, ["zh"], "zh\n")] == ["zh", "en", "en", "en", "en", "en"]
