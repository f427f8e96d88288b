"""A setup as a link, as TensorFlow Playground keeps its setup in the page's address: the Train tab's settings (every
setting of the schema that has a control, :data:`ganapp.gan.config.PAGE_FIELDS`), the lesson, the language, and the
controls a teacher hides or locks, as a query string and back.

    dataset=ring8&model=mlp&loss=hinge&z_dim=2&...&lesson=mode_collapse&lang=zh&lock=loss,lr_g&hide=bf16

Everything is made from the settings' schema (:data:`ganapp.gan.config.SETTINGS`): a setting added to it is in the
link at once, parsed by its kind (a choice, a number in its range, a bool) and refused with its own message. Each key
is read on its own: an unknown key, or a value that is not allowed, is refused with a
:class:`~ganapp.gan.config.ConfigError` (its code and fields, for the reader's language), and the rest of the link
still applies. A link never holds a server's file path (``data_path``), nor the device the server picks.

Pure: it imports no web framework; the page (``ganapp.ui.links``) reads and writes the address with it.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..gan.config import PAGE_FIELDS, SETTINGS, ConfigError, GANConfig, check_range
from .lessons import LESSONS

# The settings a link holds: those the Train tab has a control for, in its order.
LINK_FIELDS: tuple[str, ...] = PAGE_FIELDS
# The languages every setting's label is written in (the page's language switch offers the same).
LANGS: tuple[str, ...] = tuple(SETTINGS[PAGE_FIELDS[0]].label)
# Keys of the link that are not settings; ``hide`` and ``lock`` are comma-separated lists of LINK_FIELDS.
OTHER_KEYS = ("lesson", "lang", "hide", "lock")
# Query keys that Gradio's own page reads (``?view=api``, ``?__theme=dark``): passed over, never refused.
GRADIO_KEYS = ("view",)
MAX_LINK_CHARS = 8192  # a longer query is refused whole (a link written by the page is well under 1,000)
# A value that parses to none of a dataset's own needs: folder and drawn read their data from the page (an upload,
# a drawing), which a link cannot carry; their config is checked with this stand-in.
_STAND_IN_PATH = "-"


@dataclass(frozen=True)
class Link:
    """What a link asks for, each part checked on its own.

    Attributes:
        values: the settings it sets that are allowed, ``{field: value}`` (LINK_FIELDS only, typed as the config
            takes them: ``int``, ``float``, ``bool``, ``str``); together they are a valid setup on top of their
            dataset's defaults (see :meth:`config`).
        lesson: a key of :data:`ganapp.run.lessons.LESSONS`, or None.
        lang: a language code of :data:`LANGS`, or None.
        hide: controls (LINK_FIELDS) the page does not show.
        lock: controls (LINK_FIELDS) the page shows disabled, which the server keeps at their values.
        refused: one :class:`~ganapp.gan.config.ConfigError` per key that was refused (its ``field`` is the key;
            for a name in ``hide`` or ``lock``, the list's key with the name as its value), in the link's order.
    """

    values: dict[str, Any] = field(default_factory=dict)
    lesson: str | None = None
    lang: str | None = None
    hide: tuple[str, ...] = ()
    lock: tuple[str, ...] = ()
    refused: tuple[ConfigError, ...] = ()

    def config(self, base: GANConfig | None = None) -> GANConfig:
        """The setup: ``base`` (default: the recommended config of the link's dataset, see
        :meth:`GANConfig.default_for`) with :attr:`values` on top. A folder or drawn dataset needs ``base`` to
        hold its ``data_path``.

        Raises:
            ValueError: ``base`` cannot take the values (a folder or drawn dataset without a data_path in ``base``).
        """
        if base is None:
            base = GANConfig.default_for(self.values.get("dataset", GANConfig().dataset))
        return base.replace(**self.values)

    def setup(self) -> dict[str, Any]:
        """The value of every LINK_FIELDS setting the link sets up: its :attr:`values` on top of their dataset's
        defaults (a folder or drawn dataset's data come from the page, not from here)."""
        dataset = self.values.get("dataset", GANConfig().dataset)
        config = GANConfig.default_for(dataset, data_path=_STAND_IN_PATH).replace(**self.values)
        return {f: getattr(config, f) for f in LINK_FIELDS}

    def locked_values(self) -> dict[str, Any]:
        """The locked controls with the values the link sets them to (see :meth:`setup`)."""
        setup = self.setup()
        return {f: setup[f] for f in self.lock}


def _text(value: Any) -> str:
    """A setting's value as the link writes it: bools as true/false, floats exactly (``repr`` round-trips)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def encode(values: Mapping[str, Any], lesson: str | None = None, lang: str | None = None,
           hide: Iterable[str] = (), lock: Iterable[str] = ()) -> str:
    """The query string (no leading ``?``) of a setup: ``values``' LINK_FIELDS in the schema's order (others, and
    None, left out), then the lesson, the language, and the hidden and locked controls, when given.

    Args:
        values: settings by field, e.g. ``config.to_dict()`` or the page's controls.
        lesson, lang: written as they are, when not None.
        hide, lock: control names, written as comma-separated lists when not empty.
    """
    pairs = [(f, _text(values[f])) for f in LINK_FIELDS if values.get(f) is not None]
    pairs += [(k, v) for k, v in (("lesson", lesson), ("lang", lang)) if v]
    pairs += [(k, ",".join(names)) for k, names in (("hide", tuple(hide)), ("lock", tuple(lock))) if names]
    return urllib.parse.urlencode(pairs, safe=",")


def encode_config(config: GANConfig, **others: Any) -> str:
    """:func:`encode` of ``config``'s settings (``others``: lesson, lang, hide, lock)."""
    return encode(config.to_dict(), **others)


def parse_value(name: str, text: str) -> Any:
    """The value of setting ``name`` written as ``text`` in a link, checked by the schema as the config checks it.

    Raises:
        ConfigError: ``not_allowed`` (a choice that is not one), ``out_of_range`` (a number outside its range, or
            not a number), or ``not_bool``; each names ``name``, the text and what is allowed.
    """
    setting = SETTINGS[name]
    if setting.choices is not None:
        for choice in setting.choices:
            if _text(choice) == text:
                return choice
        listed = ", ".join(map(_text, setting.choices))
        raise ConfigError(name, "not_allowed", f"{name}={text!r} is not allowed: choose one of {listed}", value=text,
                          choices=listed)
    if setting.range is not None:
        value: Any = text
        try:
            number = float(text)
            value = int(number) if setting.integer and math.isfinite(number) and number.is_integer() else number
        except ValueError:
            pass  # check_range names the text as it came
        check_range(name, value)
        return value
    if setting.type == "bool":
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise ConfigError(name, "not_bool", f"{name}={text!r} is not allowed: it must be true or false", value=text)
    return text


def _names(key: str, text: str) -> tuple[list[str], list[ConfigError]]:
    """A hide or lock list: the control names in it that are settings of the page, and an error per other name."""
    good, bad = [], []
    for name in (n.strip() for n in text.split(",")):
        if name in LINK_FIELDS:
            if name not in good:
                good.append(name)
        elif name:
            bad.append(ConfigError(key, "not_allowed", f"{key}={name!r} is not allowed: choose among "
                                   f"{', '.join(LINK_FIELDS)}", value=name, choices=", ".join(LINK_FIELDS)))
    return good, bad


def _consistent(values: dict[str, Any], refused: list[ConfigError]) -> dict[str, Any]:
    """``values`` without the settings that conflict with the others (a DCGAN on 2D points, a conditional model on
    data without labels), each refused with the schema's error; checked on top of their dataset's defaults."""
    values = dict(values)
    for _ in range(len(values) + 1):
        dataset = values.get("dataset", GANConfig().dataset)
        try:
            GANConfig.default_for(dataset, data_path=_STAND_IN_PATH).replace(**values)
            return values
        except ConfigError as e:
            refused.append(e)
            if e.field in values and e.field != "dataset":
                del values[e.field]
            else:  # (not expected: a dataset's defaults suit it) keep the dataset alone
                values = {"dataset": dataset} if "dataset" in values else {}
    return values


def parse(query: str | Mapping[str, str]) -> Link:
    """What the link ``query`` asks for, key by key: a query string (a leading ``?`` or ``#`` is ignored) or a
    mapping of keys to texts (Gradio's ``request.query_params``). A key given twice takes its last value.

    Never raises for what a link holds: each key that is unknown or not allowed is left out and its error kept in
    :attr:`Link.refused`, and the rest applies. Settings that conflict with each other are refused one by one (the
    one the schema names) until the rest are a valid setup on top of their dataset's defaults.
    """
    if isinstance(query, str):
        if len(query) > MAX_LINK_CHARS:
            return Link(refused=(ConfigError("link", "out_of_range", f"a link of {len(query)} characters is too "
                                             f"long: at most {MAX_LINK_CHARS}", value=len(query),
                                             range=f"0..{MAX_LINK_CHARS}", integer=True),))
        pairs = dict(urllib.parse.parse_qsl(query.lstrip("?#"), keep_blank_values=True))
    else:
        pairs = {str(k): str(v) for k, v in query.items()}
    values: dict[str, Any] = {}
    found: dict[str, Any] = {"lesson": None, "lang": None, "hide": (), "lock": ()}
    refused: list[ConfigError] = []
    for key, text in pairs.items():
        try:
            if key in LINK_FIELDS:
                values[key] = parse_value(key, text)
            elif key == "lesson":
                if text not in LESSONS:
                    raise ConfigError(key, "not_allowed", f"lesson={text!r} is not allowed", value=text,
                                      choices=", ".join(LESSONS))
                found[key] = text
            elif key == "lang":
                if text not in LANGS:
                    raise ConfigError(key, "not_allowed", f"lang={text!r} is not allowed", value=text,
                                      choices=", ".join(LANGS))
                found[key] = text
            elif key in ("hide", "lock"):
                names, bad = _names(key, text)
                found[key] = tuple(names)
                refused += bad
            elif key not in GRADIO_KEYS and not key.startswith("__"):
                raise ConfigError(key, "unknown_field", f"unknown link key: {key}", names=key)
        except ConfigError as e:
            refused.append(e)
    values = _consistent(values, refused)
    return Link(values, found["lesson"], found["lang"], found["hide"], found["lock"], tuple(refused))
