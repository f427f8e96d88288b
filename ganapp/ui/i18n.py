"""Every string the app shows, in English and 简体中文. ``t(lang, key, **fields)`` formats one.

Keys are shared by both languages (a test checks that neither lacks one), and format fields are named, so a
translation can move them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from ..gan.config import SETTINGS
from .i18n_en import EN
from .i18n_zh import ZH

LANGS = {"en": "English", "zh": "简体中文"}

STRINGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}
# Each setting's label and help live with its range in the config's schema (ganapp.gan.config.SETTINGS): the label as
# the setting's name, the help as "help_<name>".
for _lang, _table in STRINGS.items():
    for _name, _setting in SETTINGS.items():
        _table[_name] = _setting.label[_lang]
        _table[f"help_{_name}"] = _setting.help[_lang]


def known_lang(value: object) -> str:
    """``value`` when it is one of :data:`LANGS`' codes, else ``"en"``: the language of a request, whatever it sent."""
    return value if isinstance(value, str) and value in LANGS else "en"


def t(lang: str, key: str, **fields: object) -> str:
    """The string ``key`` in ``lang`` (English when ``lang`` is unknown), formatted with ``fields``.

    Raises:
        KeyError: ``key`` does not exist.
    """
    table = STRINGS.get(lang, STRINGS["en"])
    text = table[key]
    return text.format(**fields) if fields else text


def field_label(lang: str, name: str) -> str:
    """A setting's label in ``lang`` from the config's schema (``lr_g`` → "Learning rate of G"); any other name as it
    is."""
    return t(lang, name) if name in SETTINGS else name


def field_list(lang: str, names: Iterable[str]) -> str:
    """Settings' labels as a list in ``lang`` ("Learning rate of G, Batch size"; "G 的学习率、批大小")."""
    return t(lang, "list_sep").join(field_label(lang, n) for n in names)


def number(lang: str, value: float, spec: str = ".3g", missing: str | None = None) -> str:
    """``value`` formatted with ``spec``, never as "nan": NaN reads as ``missing`` (default: "not a number" in
    ``lang``), ±infinity as ±∞."""
    if isinstance(value, (int, float)) and math.isfinite(value):
        return format(value, spec)
    if isinstance(value, (int, float)) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return missing if missing is not None else t(lang, "not_a_number")


_PATH = re.compile(r"(?<![\w.~])/(?:[^/\s:'\"()]+/)+([^/\s:'\"()]*)")


def without_paths(text: str) -> str:
    """``text`` (a library's English reason, shown as it is) with every absolute file path cut to its last part: a
    page never shows where the server keeps things ("No such file: /tmp/ganapp-files-x/…/shapes.zip" →
    "No such file: shapes.zip")."""
    return _PATH.sub(r"\1", text)
