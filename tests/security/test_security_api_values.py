"""Values that no page sends (found by benchmarks/adversarial.py): a menu's value outside its choices, a text for a
number, a slider's value outside its range, too few values, a server path or a web address as a file. Gradio reads
them before any handler and refused them in English or with no message at all, printing a traceback each time; the
app refuses each in the caller's language, naming the field, with no traceback, and fetches no URL."""

from __future__ import annotations

import json

import gradio.processing_utils
import httpx
import pytest

from ganapp.gan.config import SETTINGS
from ganapp.ui.common import CONTROL_FIELDS
from ganapp.ui.i18n import t

FILE_DATA = {"_type": "gradio.FileData"}


def send(url: str, api_name: str, data: list, lang_free: bool = False) -> dict:
    """Run the event ``api_name`` as a browser does (queue/join, then its answer on queue/data) with ``data``, sent as
    JSON as any client may; returns the process_completed message's output."""
    config = httpx.get(url + "config", timeout=30).json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)
    with httpx.Client(base_url=url, timeout=60) as http:
        event = http.post("gradio_api/queue/join", content=json.dumps(
            {"data": data, "fn_index": fn_index, "session_hash": "api-values", "event_data": None,
             "trigger_id": None}), headers={"content-type": "application/json"}).json()["event_id"]
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": "api-values"}) as stream:
            for line in stream.iter_lines():
                msg = json.loads(line[5:]) if line.startswith("data:") else {}
                if msg.get("event_id") == event and msg.get("msg") == "process_completed":
                    return msg["output"]
    raise AssertionError(f"no answer to {api_name}")


# the Start event's values: the language, the minutes, then the Train tab's controls (ganapp.ui.common.CONTROL_FIELDS)
START = ["en", 0, "ring8", "mlp", "non_saturating", 2, 16, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 8, 8, "", "", "relu",
         "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]


CONTROL_START = 2  # the first control's place in START


def start_with(lang: str, index: int, value) -> list:
    data = list(START)
    data[0], data[index] = lang, value
    return data


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_values_no_page_sends_are_refused_in_the_callers_language_naming_the_field(served_app, lang, capfd,
                                                                                  monkeypatch):
    url, _ = served_app
    fetched = []

    async def no_download(url, *args, **kwargs):
        fetched.append(url)
        raise AssertionError("a visitor's URL was fetched")

    monkeypatch.setattr(gradio.processing_utils, "async_ssrf_protected_download", no_download)
    capfd.readouterr()
    dataset, z_dim = t(lang, "dataset"), t(lang, "z_dim")

    refused = send(url, "start", start_with(lang, 2, "not-a-dataset"))["error"]
    assert refused == t(lang, "err_choice", field=dataset, value="'not-a-dataset'",
                        choices=", ".join(SETTINGS["dataset"].choices))
    assert send(url, "start", start_with(lang, 5, "abc"))["error"] == t(lang, "err_api_number", field=z_dim,
                                                                       value="'abc'")
    assert send(url, "start", [lang])["error"] == t(lang, "err_api_count", needed=len(START), got=1)
    upload_field = t(lang, "upload_ckpt")
    for file in ({"path": "/etc/passwd", "meta": FILE_DATA},
                 {"path": "https://example.com/g.safetensors", "meta": FILE_DATA}):
        assert send(url, "upload_checkpoint", [lang, file])["error"] == t(lang, "err_api_file", field=upload_field)
    explore = [lang, "training", 0, 1.0, 0, 4.0] + [0.0] * 13 + [None, 0.0]  # z[0] = 4, its slider's range is ±3
    out = send(url, "explore", explore)["error"]
    assert out == t(lang, "err_field", field="z[0]", kind=t(lang, "kind_num"), range="[-3, 3]", value="4.0")
    assert not fetched
    err = capfd.readouterr().err
    assert "Traceback" not in err, err[-3000:]


def test_a_language_sent_as_a_list_or_an_object_is_refused_naming_the_field(served_app, capfd):
    url, _ = served_app
    capfd.readouterr()
    for value in (["en", "zh"], {"__proto__": {"admin": True}}):
        error = send(url, "start", start_with("en", 0, value))["error"]
        assert error and "Language" in error and "went wrong" not in error, error
    err = capfd.readouterr().err
    assert "Traceback" not in err and "unhashable" not in err, err[-3000:]


def test_an_integer_beyond_a_float_s_range_is_out_of_range_not_an_overflow(served_app):
    from ganapp.gan.config import ConfigError, check_range

    with pytest.raises(ConfigError, match="lr_g=.* is out of range"):
        check_range("lr_g", 10 ** 400)
    with pytest.raises(ConfigError, match="g_width=.* is out of range"):
        check_range("g_width", 10 ** 400)
    url, _ = served_app
    data = start_with("en", 0, 0)
    data[CONTROL_START + CONTROL_FIELDS.index("beta1")] = 10 ** 400
    error = send(url, "start", data)["error"]
    assert error and "went wrong" not in error and "Overflow" not in error, error


def test_a_lone_surrogate_quoted_in_a_refusal_comes_back_escaped_and_the_page_s_stream_stays_open(served_app, capfd):
    url, _ = served_app
    capfd.readouterr()
    error = send(url, "start", start_with("zh", 1, "\ud800"))["error"]  # the minutes: refused by the handler
    assert error and "\\ud800" in error and "went wrong" not in error, error
    err = capfd.readouterr().err
    assert "Traceback" not in err and "surrogates not allowed" not in err, err[-3000:]
