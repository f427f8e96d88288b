"""An adversarial pass over every endpoint of the served app and every command of the CLI (issue 27's "Done when").

It launches the real app as a host does (``python app.py``, with a port, a teacher token, a state folder of its own
and a few host limits), reads every event that runs a function on the server from the app's config (public,
private, the page's load and unload, the teacher's page: an endpoint added later is covered without a change here),
and sends each a battery of hostile inputs:

- the page's own values (a tiny ring8 run) as the baseline, then each input in turn replaced by values of the wrong
  type, None, huge, negative, NaN and infinite numbers (sent as JSON's NaN and Infinity), huge strings, control
  characters and lone surrogates, HTML and script, path traversal, format strings, deep nesting, values outside a
  component's choices or range; whole calls with too few or too many values;
- files that lie, uploaded as a browser does: checkpoints with NaN weights, with metadata that claims a huge model,
  nests without end or is not an object, with a step of 10^30 (tests/security's own), files that are not
  checkpoints, a 10000 x 10000 drawing, a PNG whose header claims 10^10 pixels, zips with a path that climbs out and
  one that inflates; file values that name a server path, climb out of the upload folder, or point at a URL;
- forged, truncated, padded and foreign tokens, on the page's token (``attach_page``), the API's (``/attach``) and
  the teacher's (every teacher endpoint), and another visitor's id sent as the page's session hash;
- concurrent calls: fresh clients starting at once against the host's run limit, two tabs of one visitor racing
  commands, heavy calls beside another visitor's tick, wrong teacher tokens flooding while the teacher acts.

Public endpoints are called through ``gradio_client`` (an API client), private ones, file values, JSON that
``gradio_client`` cannot send (NaN, lone surrogates) and forged session hashes through the browser's own protocol
(``queue/join`` and ``queue/data``). The CLI (``python -m ganapp``, each subcommand of ``--help``) gets hostile flags
and the same lying files, each invocation a fresh process forked from one that imported ganapp once (a few run as
real ``python -m ganapp`` processes too, to show that they agree).

Each call is classified:

- accepted: the call did what it does (a valid effect);
- refused cleanly: a ``gr.Error`` whose message is in the caller's language (Chinese for ``zh``), or a protocol
  refusal before any handler (an HTTP 4xx for a request a browser never sends); on the CLI, one line
  ``ganapp: error: ...`` and a non-zero exit status;
- FAILED: a traceback (in the answer, in the server's log or on the CLI's stderr), "Something went wrong", a generic
  or empty error, a Python exception's name or a server path in a message, a refusal in the wrong language, an
  answer later than the bound, a crash (the server, or the training worker, replaced), a forged token let through,
  or any effect on another visitor: two victims, one paused at a known step and one training, are checked after
  every endpoint's battery (and right after each forged session hash), and no answer may carry the victim's name
  or token.

It prints the counts per endpoint and in total (tried / accepted / refused cleanly / failed), the checks, and each
failure with a repro (the endpoint, the transport, the values sent).

    python benchmarks/adversarial.py              # the whole pass: about 2,500 calls, a few minutes on 2 cores
    python benchmarks/adversarial.py --quick      # one hostile value per input, fewer CLI cases: about a minute
    python benchmarks/adversarial.py --only 'start|attach' --skip-cli
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "security"))

import httpx  # noqa: E402

TEACHER_TOKEN = "adversary-teacher-token-0123"
BOUND_S = 30.0  # the longest a call may take before it counts as a hang
GATE_BOUND_S = 75.0  # a wrong teacher token is held up to 60 s by design (ganapp.host.teacher_gate)
CLI_BOUND_S = 90.0
HOST_ENV = {  # a host's settings for the served app: small limits, so that an accepted hostile run stays cheap
    "GANAPP_MAX_RUNS": "12",
    "GANAPP_MAX_MODEL_MB": "512",
    "GANAPP_MAX_UPLOAD_MB": "20",
    "GANAPP_IDLE_TIMEOUT_S": "600",
    "GANAPP_CLASSROOM": "0",
}
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bTraceback\b")
GENERIC = ("Something went wrong", "出了点问题", "upstream Gradio app has raised an exception", "Internal Server Error",
           "Traceback (most recent call last)")
FILE_DATA = {"_type": "gradio.FileData"}
API_EXAMPLES = {"field": "lr_g", "value": 0.002}  # a valid value for a gr.api function's parameter, by its name


# ----- the served app -----------------------------------------------------------------------------------------------

class Server:
    """``python app.py`` as a host starts it, on a free port, logging to a file.

    Attributes:
        url: the app's address, ending in "/".
        state_dir: its GANAPP_STATE_DIR.
        log_path: its stdout and stderr (the training worker's too).
    """

    def __init__(self, work: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        self.state_dir = work / "state"
        self.log_path = work / "server.log"
        env = {**os.environ, **HOST_ENV, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
               "GANAPP_STATE_DIR": str(self.state_dir), "GANAPP_TEACHER_TOKEN": TEACHER_TOKEN,
               "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._offset = 0
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the app exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "config", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("the app did not answer within 180 s")
        self.worker = None
        deadline = time.monotonic() + 60
        while self.worker is None and time.monotonic() < deadline:  # app.warm_up starts it in the background
            self.worker = self.worker_pid()
            time.sleep(0.2)

    def worker_pid(self) -> int | None:
        """The training worker (``python -m ganapp.service.worker``, a child of the server), or None."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid == self.proc.pid and b"ganapp.service.worker" in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except (OSError, ValueError, IndexError):
                continue
        return None

    def new_log(self) -> str:
        """What the server logged since the last call."""
        with open(self.log_path, "rb") as f:
            f.seek(self._offset)
            data = f.read()
        self._offset += len(data)
        return data.decode("utf-8", "replace")

    def crashed(self) -> str | None:
        """Why the server or its training worker is not the one it was, or None."""
        if self.proc.poll() is not None:
            return f"the server exited with status {self.proc.returncode}"
        pid = self.worker_pid()
        if self.worker is not None and pid != self.worker:
            return f"the training worker {self.worker} was replaced by {pid}"
        self.worker = self.worker or pid
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


# ----- endpoints, from the app's config -----------------------------------------------------------------------------

@dataclass
class Input:
    """One input component of an event: its type ("number", "dropdown", ...) and props (choices, range ...)."""

    id: int
    type: str
    props: dict
    param: str = ""  # its parameter's name in the API's info (public endpoints)
    default: Any = None  # that parameter's default, if it has one

    @property
    def choices(self) -> list:
        return [c[1] if isinstance(c, (list, tuple)) else c for c in self.props.get("choices") or []]

    @property
    def is_lang(self) -> bool:
        return (self.type == "radio" and set(self.choices) == {"en", "zh"}) or self.param == "lang"

    @property
    def is_token(self) -> bool:
        """The teacher's token: its password box, or a function's ``token`` parameter."""
        return (self.type == "textbox" and self.props.get("type") == "password") or self.param == "token"


@dataclass
class Endpoint:
    """An event that runs a function on the server.

    Attributes:
        fn_index: its index (what a browser sends).
        name: its api_name, or "fn<index>".
        public: gradio_client may call it by name.
        page: the page ("" the main one, "teacher" ...) it belongs to.
        inputs: its input components, state included.
        family: the name without Gradio's "_<n>" suffix of a handler wired to several triggers.
    """

    fn_index: int
    name: str
    public: bool
    page: str
    inputs: list[Input]
    family: str = ""

    @property
    def gated(self) -> bool:
        """Behind the teacher's token: on the teacher's page, with a token."""
        return self.page == "teacher" and self.token_at is not None

    @property
    def lang_at(self) -> int | None:
        return next((k for k, i in enumerate(self.inputs) if i.is_lang), None)

    @property
    def token_at(self) -> int | None:
        return next((k for k, i in enumerate(self.inputs) if i.is_token), None)


def endpoints(url: str) -> list[Endpoint]:
    """Every event of the served app with a function on the server, from its config (and, for the public ones,
    their parameters' names and defaults from the API's info)."""
    config = httpx.get(url + "config", timeout=30).json()
    info = httpx.get(url + "gradio_api/info", timeout=30).json().get("named_endpoints", {})
    components = {c["id"]: c for c in config["components"]}
    page_of = {dep: page for page, spec in (config.get("page") or {}).items() for dep in spec["dependencies"]}
    out = []
    for dep in config["dependencies"]:
        if not dep.get("backend_fn"):
            continue
        name = dep.get("api_name") or f"fn{dep['id']}"
        inputs = [Input(i, components[i]["type"], components[i].get("props", {})) for i in dep["inputs"]]
        params = info.get("/" + name, {}).get("parameters", []) if dep.get("api_visibility") == "public" else []
        for inp, param in zip([i for i in inputs if i.type != "state"], params):
            inp.param = param.get("parameter_name") or ""
            inp.default = param.get("parameter_default")
        out.append(Endpoint(dep["id"], name, dep.get("api_visibility") == "public", page_of.get(dep["id"], ""),
                            inputs, family=re.sub(r"_\d+$", "", name)))
    return out


# ----- calling them ----------------------------------------------------------------------------------------------

@dataclass
class Answer:
    """What a call got back.

    Attributes:
        ok: the handler ran and returned (process_completed with success).
        data: its outputs (ok), or None.
        error: the error message shown to the caller (a gr.Error's text, or an HTTP refusal's detail), or None.
        status: an HTTP status when the request was refused before the queue (else 200).
        elapsed_s: wall time of the call.
        timed_out: no answer within the bound.
        raw: the whole answer, for the leak checks.
    """

    ok: bool
    data: Any = None
    error: str | None = None
    status: int = 200
    elapsed_s: float = 0.0
    timed_out: bool = False
    raw: str = ""


def dumps(value: Any) -> bytes:
    """JSON as a hostile client may send it: NaN and Infinity as JavaScript writes them, lone surrogates escaped."""
    return json.dumps(value, allow_nan=True).encode()


class Page:
    """A browser page: the queue protocol (join, then the answer on queue/data) under a session hash of its own, or
    under one it is told to use (a forged one)."""

    def __init__(self, url: str, session_hash: str | None = None):
        self.url = url
        self.session_hash = session_hash or uuid.uuid4().hex[:11]
        self.http = httpx.Client(timeout=httpx.Timeout(BOUND_S, connect=10))

    def upload(self, path: Path) -> dict:
        """Upload a file as the page's upload box does; returns its FileData."""
        r = self.http.post(self.url + "gradio_api/upload", files=[("files", (path.name, path.read_bytes()))])
        r.raise_for_status()
        return {"path": r.json()[0], "orig_name": path.name, "size": path.stat().st_size, "meta": FILE_DATA}

    def call(self, ep: Endpoint, data: Any, bound_s: float = BOUND_S) -> Answer:
        """One event, as the page sends it. (One call at a time per page: a browser reads all of a page's answers
        on one stream, and a second stream of the same page may lose its answers to the first.)"""
        t0 = time.monotonic()
        try:
            return self._call(ep, data, bound_s, t0)
        except httpx.HTTPError as e:
            return Answer(False, error=f"{type(e).__name__}: {e}", status=599, elapsed_s=time.monotonic() - t0)

    def _call(self, ep: Endpoint, data: Any, bound_s: float, t0: float) -> Answer:
        body = {"data": data, "fn_index": ep.fn_index, "session_hash": self.session_hash, "event_data": None,
                "trigger_id": None}
        try:
            joined = self.http.post(self.url + "gradio_api/queue/join", content=dumps(body),
                                    headers={"content-type": "application/json"})
        except httpx.TimeoutException:
            return Answer(False, timed_out=True, elapsed_s=time.monotonic() - t0, error="(no answer to join)")
        if joined.status_code != 200:
            return Answer(False, error=joined.text[:2000], status=joined.status_code, raw=joined.text,
                          elapsed_s=time.monotonic() - t0)
        event_id = joined.json()["event_id"]
        deadline = t0 + bound_s
        try:
            with self.http.stream("GET", self.url + "gradio_api/queue/data",
                                  params={"session_hash": self.session_hash},
                                  timeout=httpx.Timeout(bound_s, connect=10)) as stream:
                for line in stream.iter_lines():
                    if time.monotonic() > deadline:
                        break
                    if not line.startswith("data:"):
                        continue
                    msg = json.loads(line[5:])
                    if msg.get("event_id") != event_id or msg.get("msg") != "process_completed":
                        continue
                    out = msg.get("output") or {}
                    elapsed = time.monotonic() - t0
                    if msg.get("success"):
                        return Answer(True, data=out.get("data"), elapsed_s=elapsed, raw=line)
                    return Answer(False, error=out.get("error"), elapsed_s=elapsed, raw=line)
        except httpx.TimeoutException:
            pass
        self.http.post(self.url + "gradio_api/cancel", content=dumps(
            {"session_hash": self.session_hash, "fn_index": ep.fn_index, "event_id": event_id}),
            headers={"content-type": "application/json"})
        return Answer(False, timed_out=True, elapsed_s=time.monotonic() - t0)

    def close(self) -> None:
        self.http.close()


class Api:
    """An API client: ``gradio_client.Client`` (verification off and no downloads, as benchmarks/classroom.py builds
    its students: each call then costs little CPU on this side)."""

    def __init__(self, url: str):
        from gradio_client import Client

        self.client = Client(url, verbose=False, ssl_verify=False, download_files=False)
        self.session_hash = self.client.session_hash

    def call(self, ep: Endpoint, data: list, bound_s: float = BOUND_S) -> Answer:
        """Call ``ep`` by name with ``data`` (state inputs left out: the client inserts them)."""
        from gradio_client.exceptions import AppError

        t0 = time.monotonic()
        values = [v for v, i in zip(data, ep.inputs) if i.type != "state"] + data[len(ep.inputs):]
        job = self.client.submit(*values, api_name="/" + ep.name)
        try:
            result = job.result(timeout=bound_s)
        except AppError as e:
            return Answer(False, error=e.message if hasattr(e, "message") else str(e), raw=str(e),
                          elapsed_s=time.monotonic() - t0)
        except (TimeoutError, cf.TimeoutError):
            job.cancel()
            return Answer(False, timed_out=True, elapsed_s=time.monotonic() - t0)
        except httpx.HTTPStatusError as e:  # the server refused the request itself (a 4xx: JSON it cannot read)
            return Answer(False, error=e.response.text[:2000], raw=e.response.text, status=e.response.status_code,
                          elapsed_s=time.monotonic() - t0)
        except Exception as e:  # the client's own fault reading an answer: the server's answer is in its text
            return Answer(False, error=f"{type(e).__name__}: {e}", raw=str(e), status=599,
                          elapsed_s=time.monotonic() - t0)
        return Answer(True, data=result, raw=json.dumps(result, default=str), elapsed_s=time.monotonic() - t0)

    def close(self) -> None:
        self.client.close()


def api_can_send(data: Any) -> bool:
    """Whether gradio_client sends ``data`` unchanged: JSON that httpx encodes (no NaN, no lone surrogate) and no
    FileData (which the client would upload from this machine)."""
    try:
        if "gradio.FileData" in json.dumps(data, default=str):
            return False
        json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError, RecursionError):  # (a list 3,000 deep: only the page's transport sends it)
        return False
    return True


# ----- hostile values ---------------------------------------------------------------------------------------------

class Lies:
    """Hostile files made once in a folder of their own: checkpoints and images that lie, zips that climb out or
    inflate, files that are not what their name says. Attributes are paths."""

    def __init__(self, folder: Path):
        import PIL.Image
        import torch
        from safetensors.torch import save_file

        from test_security_checkpoints import _liars, nan_checkpoint
        from test_security_drawing import huge_png

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.checkpoints = {name: path for name, (path, _) in _liars(folder).items()}
        self.checkpoints["NaN weights"] = nan_checkpoint(folder / "mnist_dcgan_nan.safetensors")
        (folder / "random.safetensors").write_bytes(random.Random(0).randbytes(4096))
        self.checkpoints["random bytes"] = folder / "random.safetensors"
        (folder / "empty.safetensors").write_bytes(b"")
        self.checkpoints["empty file"] = folder / "empty.safetensors"
        (folder / "header.safetensors").write_bytes((2 ** 62).to_bytes(8, "little") + b"{}")
        self.checkpoints["header length 2^62"] = folder / "header.safetensors"
        save_file({"x": torch.zeros(2)}, str(folder / "foreign.safetensors"), metadata={"format": "pt"})
        self.checkpoints["not a ganapp checkpoint"] = folder / "foreign.safetensors"
        png = folder / "tiny.png"
        PIL.Image.new("RGB", (8, 8), "white").save(png)
        shutil.copy(png, folder / "png.safetensors")
        self.checkpoints["a PNG named .safetensors"] = folder / "png.safetensors"
        self.shipped = ROOT / "checkpoints" / "ring8_mlp.safetensors"
        self.huge_png = huge_png(folder / "huge.png")
        self.bomb_png = folder / "bomb.png"
        self.bomb_png.write_bytes(_png_claiming(100_000, 100_000))
        self.tiny_png = png
        self.not_png = folder / "not_an_image.png"
        self.not_png.write_bytes(b"<svg onload=alert(1)>" * 10)
        self.climbing_zip = folder / "climb.zip"
        with zipfile.ZipFile(self.climbing_zip, "w") as z:
            z.writestr("../../../../tmp/ganapp-adversary-escaped.png", png.read_bytes())
            z.writestr("/etc/ganapp-adversary.png", png.read_bytes())
        self.inflating_zip = folder / "inflate.zip"
        with zipfile.ZipFile(self.inflating_zip, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("big.png", b"\0" * (200 * 1024 * 1024))  # 200 MB that deflates to about 200 kB
        self.fifo = folder / "fifo.safetensors"
        os.mkfifo(self.fifo)
        self.directory = folder / "dir.safetensors"
        self.directory.mkdir()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with almost no data behind it."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def deep(n: int) -> Any:
    """A list nested ``n`` deep."""
    value: Any = []
    for _ in range(n):
        value = [value]
    return value


GENERIC_VALUES: list[tuple[str, Any]] = [
    ("None", None),
    ("empty string", ""),
    ("200 kB string", "x" * 200_000),
    ("control characters", "\x00\x01\x1b[2J\r\n\u202e\u200b"),
    ("lone surrogate", "\ud800"),
    ("script", "<script>alert(1)</script><img src=x onerror=alert(1)>"),
    ("path traversal", "../../../../etc/passwd"),
    ("format string", "{0}{lang}%s%n{__class__}"),
    ("object", {"__proto__": {"admin": True}, "path": "/etc/passwd"}),
    ("list", [1, "two", None]),
    ("nested 3000 deep", deep(3000)),
    ("true", True),
    ("-1", -1),
    ("1e308", 1e308),
    ("-1e308", -1e308),
    ("NaN", float("nan")),
    ("Infinity", float("inf")),
    ("-Infinity", float("-inf")),
    ("2^64", 2 ** 64),
    ("10^400", 10 ** 400),
    ("string number", "1e309"),
]


def typed_values(inp: Input, files: dict[str, dict], tokens: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    """Hostile values made for one input's component type (its range, its choices, a file box's files)."""
    t, p = inp.type, inp.props
    if t in ("number", "slider"):
        lo, hi = p.get("minimum"), p.get("maximum")
        vals = [("0.5", 0.5), ("-0.0", -0.0), ("1e-320", 1e-320), ("text", "abc"), ("string '5'", "5"),
                ("2^63", 2 ** 63), ("-2^63-1", -(2 ** 63) - 1), ("10^30", 10 ** 30)]
        if isinstance(lo, (int, float)):
            vals.append(("min - 1", lo - 1))
        if isinstance(hi, (int, float)):
            vals += [("max + 1", hi + 1), ("max x 10^6", hi * 1e6)]
        return vals
    if t in ("dropdown", "radio"):
        first = inp.choices[0] if inp.choices else "x"
        return [("not a choice", "not-a-choice"), ("choice + newline", f"{first}\n"),
                ("choice upper-cased", str(first).upper()), ("a list of choices", inp.choices[:2]),
                ("number", 7), ("dunder", "__class__"), ("traversal choice", "../checkpoints/../app.py")]
    if t == "checkbox":
        return [("string 'False'", "False"), ("2", 2), ("list", [True])]
    if t == "checkboxgroup":
        return [("not a list", "real"), ("unknown choices", ["nope", "../x"]), ("[None]", [None]),
                ("10,000 choices", ["real"] * 10_000)]
    if t in ("textbox", "api", "browserstate", "json"):
        vals = [("12,000 characters", "N" * 12_000), ("spreadsheet formula", '=HYPERLINK("http://e.vil","x")'),
                ("markdown and link", "**bold** [x](javascript:alert(1))"), ("emoji and RTL", "👩‍🏫\u202eevil")]
        return vals + tokens
    if t == "file":
        multiple = p.get("file_count") in ("multiple", "directory")
        server_paths = [("server path /etc/passwd", {"path": "/etc/passwd", "meta": FILE_DATA}),
                        ("app.py by its path", {"path": str(ROOT / "app.py"), "meta": FILE_DATA}),
                        ("climbing path", {"path": "../../../../etc/passwd", "meta": FILE_DATA}),
                        ("a URL", {"path": "http://127.0.0.1:9/x.safetensors", "url": "http://127.0.0.1:9/x",
                                   "meta": FILE_DATA}),
                        ("plain string path", "/etc/passwd")]
        uploaded = [(f"uploaded: {name}", fd) for name, fd in files.items()]
        vals = server_paths + uploaded
        if multiple:
            vals = [(label, [v]) if isinstance(v, dict) else (label, v) for label, v in vals]
            vals.append(("100 copies of a lying file", [files["huge model in a tiny file"]] * 100))
        else:
            vals.append(("a list of two files", [files["NaN weights"], files["shipped ring8"]]))
        return vals
    if t == "imageeditor":
        def editor(composite: Any, **extra: Any) -> dict:
            return {"background": None, "layers": [], "composite": composite, "id": None, **extra}
        return [("10000 px drawing", editor(files["10000 px drawing"])),
                ("PNG claiming 10^10 pixels", editor(files["PNG claiming 10^10 pixels"])),
                ("not an image", editor(files["not an image"])),
                ("a checkpoint as the drawing", editor(files["NaN weights"])),
                ("composite at /etc/passwd", editor({"path": "/etc/passwd", "meta": FILE_DATA})),
                ("5,000 layers", editor(files["tiny png"], layers=[files["tiny png"]] * 5000)),
                ("a huge background", editor(None, background=files["10000 px drawing"])),
                ("composite is text", editor("/etc/passwd"))]
    return []


# ----- the pass --------------------------------------------------------------------------------------------------

@dataclass
class Case:
    """One call: ``data`` to ``endpoint`` by ``transport`` ("api", "page", or "forged" as another visitor's id)."""

    endpoint: Endpoint
    label: str
    data: Any
    transport: str = "page"
    bound_s: float = BOUND_S


@dataclass
class Verdict:
    case: Case
    kind: str  # "accepted", "refused", "failed"
    why: str = ""
    answer: Answer | None = None


@dataclass
class Tally:
    tried: int = 0
    accepted: int = 0
    refused: int = 0
    failed: int = 0

    def add(self, kind: str) -> None:
        self.tried += 1
        setattr(self, kind, getattr(self, kind) + 1)


class Adversary:
    """Runs the batteries and the checks against one served app, and keeps the verdicts."""

    def __init__(self, server: Server, lies: Lies, quick: bool, seed: int):
        self.server, self.lies, self.quick = server, lies, quick
        self.rng = random.Random(seed)
        self.url = server.url
        self.endpoints = endpoints(self.url)
        self.by_name = {e.name: e for e in self.endpoints}
        self.verdicts: list[Verdict] = []
        self.checks: list[tuple[str, bool, str]] = []  # (what, held, detail)
        self.lock = threading.Lock()
        self.server_paths = [str(ROOT), str(server.state_dir), "/tmp/gradio", "site-packages",
                             tempfile.gettempdir() + "/ganapp-files", os.path.expanduser("~") + "/"]
        self.tiny = self._tiny_values()

    # --- the baseline: a tiny ring8 run, on the page's own controls
    def _tiny_values(self) -> dict[int, Any]:
        """Component id -> the value of a tiny ring8 run, for the Train tab's controls (as the Start event lists them:
        the language, the minutes, then ganapp.ui.common.CONTROL_FIELDS)."""
        from ganapp.gan.config import GANConfig
        from ganapp.ui.common import CONTROL_FIELDS

        config = GANConfig.default_for("ring8", g_width=8, d_width=8, batch_size=16, n_fixed=16, z_dim=2).to_dict()
        values = {**config, "data_files": None, "init": "scratch"}
        start = self.by_name["start"]
        controls = start.inputs[len(start.inputs) - len(CONTROL_FIELDS):]
        return {i.id: values[f] for i, f in zip(controls, CONTROL_FIELDS)}

    def baseline(self, ep: Endpoint, lang: str = "en") -> list:
        out = []
        for inp in ep.inputs:
            if inp.type == "state":
                out.append(None)
            elif inp.is_lang:
                out.append(lang)
            elif inp.is_token:
                out.append(None)  # never the teacher's token (see run_teacher)
            elif inp.id in self.tiny:
                out.append(self.tiny[inp.id])
            elif inp.type == "api":
                out.append(API_EXAMPLES.get(inp.param, inp.default))
            else:
                out.append(inp.props.get("value"))
        return out

    # --- victims: a paused run and a training one, each with an API client and a token of its own
    def make_victims(self) -> None:
        start, step, name = self.by_name["start"], self.by_name.get("step"), self.by_name["set_name"]
        self.victims = []
        for i, training in enumerate((False, True)):
            api = Api(self.url)
            token = api.client.predict(None, api_name="/attach")["token"]
            marker = f"Victim{i}-{uuid.uuid4().hex[:8]}"
            api.call(name, ["en", marker])
            if training:
                api.call(start, self.baseline(start))
            else:
                data = self.baseline(step)
                data[1] = 5  # Step N: five steps, then paused
                api.call(step, data)
            self.victims.append({"api": api, "token": token, "vid": token.split(".")[0], "marker": marker,
                                 "training": training})
        deadline = time.monotonic() + 60
        v0 = self.victims[0]
        while time.monotonic() < deadline:
            snap = self._snapshot(v0["api"])
            if snap.get("state") == "paused" and snap.get("step") == 5:
                break
            time.sleep(0.2)
        for v in self.victims:
            v["last"] = self._snapshot(v["api"])
        self.check("victims set up", v0["last"].get("state") == "paused" and self.victims[1]["last"].get("state")
                   == "running", str([v["last"] for v in self.victims]))

    def _snapshot(self, api: Api) -> dict:
        a = api.call(self.by_name["snapshot"], [])
        return a.data if a.ok and isinstance(a.data, dict) else {"state": "?", "error": a.error}

    def victims_unharmed(self) -> str | None:
        """Why a victim's run is not as it was (the paused one exactly, the training one still training), or
        None."""
        problems = []
        for v in self.victims:
            snap = self._snapshot(v["api"])
            before = v["last"]
            if v["training"]:
                if snap.get("state") != "running":
                    problems.append(f"the training victim's run is {snap.get('state')}: {snap}")
                elif snap.get("step", 0) < before.get("step", 0):
                    problems.append(f"the training victim's step went back from {before.get('step')} to "
                                    f"{snap.get('step')}")
            elif (snap.get("state"), snap.get("step")) != (before.get("state"), before.get("step")):
                problems.append(f"the paused victim's run went from {before.get('state')} at step "
                                f"{before.get('step')} to {snap.get('state')} at step {snap.get('step')}")
            v["last"] = snap
        return "; ".join(problems) or None

    def victims_found_whole(self) -> str | None:
        """Why a victim's token no longer finds its runs and its name (asked as a second tab of theirs), or None."""
        ep = self.by_name["attach_page"]
        for v in self.victims:
            tab = Page(self.url)
            try:
                a = tab.call(ep, self._attach_data(v["token"]))
            finally:
                tab.close()
            if not a.ok or v["marker"] not in json.dumps(a.data):
                return f"the victim's token no longer finds its run and name: {a.error or describe(a.data)}"
        return None

    def check(self, what: str, held: bool, detail: str = "") -> None:
        with self.lock:
            self.checks.append((what, held, detail))

    # --- the batteries
    def files(self, page: Page) -> dict[str, dict]:
        """The lying files, uploaded once through ``page`` (the server keeps them in its upload folder)."""
        if not hasattr(self, "_files"):
            lies = self.lies
            named = {**lies.checkpoints, "shipped ring8": lies.shipped, "10000 px drawing": lies.huge_png,
                     "PNG claiming 10^10 pixels": lies.bomb_png, "tiny png": lies.tiny_png,
                     "not an image": lies.not_png, "zip climbing out": lies.climbing_zip,
                     "zip of 200 MB": lies.inflating_zip}
            self._files = {name: page.upload(path) for name, path in named.items()}
        return self._files

    def tokens(self) -> list[tuple[str, Any]]:
        """Forged, truncated, padded and foreign tokens, made from the paused victim's (never the token itself)."""
        v = self.victims[0]
        token, vid = v["token"], v["vid"]
        sig = token.split(".", 1)[1]
        other = self.victims[1]["vid"]
        flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
        return [("victim's id alone", vid), ("victim's id and a dot", vid + "."),
                ("victim's id, forged signature", vid + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ("victim's token cut by one", token[:-1]), ("victim's token + newline", token + "\n"),
                ("victim's token, last character changed", flipped), ("victim's token upper-cased", token.upper()),
                ("another id with the victim's signature", f"{other}.{sig}"),
                ("teacher token cut by one", TEACHER_TOKEN[:-1]), ("teacher token + newline", TEACHER_TOKEN + "\n"),
                ("teacher token + lone surrogate", TEACHER_TOKEN + "\ud800"),
                ("teacher token upper-cased", TEACHER_TOKEN.upper())]

    def battery(self, ep: Endpoint, page: Page, sibling: bool) -> list[Case]:
        """The cases for ``ep``: the baseline in both languages, each input replaced by hostile values (fewer for
        a sibling of a family already tried, and with ``--quick``), whole calls of the wrong shape, and the
        baseline under each victim's id as the session hash."""
        files, tokens = self.files(page), self.tokens()
        base = self.baseline(ep)
        via = "api" if ep.public else "page"
        cases = [Case(ep, "the page's values", base, via),
                 Case(ep, "the page's values, in Chinese", self.baseline(ep, "zh"), via)]
        if not sibling:
            per_input = 1 if self.quick else 5
            for k, inp in enumerate(ep.inputs):
                if inp.type == "state":
                    continue
                typed = typed_values(inp, files, tokens)
                generic = list(GENERIC_VALUES)
                self.rng.shuffle(generic)
                self.rng.shuffle(typed)
                if inp.type in ("file", "imageeditor", "browserstate") or (ep.gated or ep.name == "attach"):
                    picks = typed if not self.quick else typed[:3]  # the files, the tokens: every one
                else:
                    n_typed = min(len(typed), max(1, round(per_input * 0.6)))
                    picks = typed[:n_typed] + generic[:per_input - n_typed]
                for label, value in picks:
                    data = list(base)
                    data[k] = value
                    lang = "zh" if self.rng.random() < 0.5 and not inp.is_lang else "en"
                    if ep.lang_at is not None and ep.lang_at != k:
                        data[ep.lang_at] = lang
                    what = inp.props.get("label") or inp.props.get("elem_id") or ""
                    cases.append(Case(ep, f"{inp.type} #{k} ({what}) = {label}", data, via))
            cases += [Case(ep, "no values", [], "page"), Case(ep, "one value too many", base + ["extra"], "page"),
                      Case(ep, "every value None", [None] * len(base), "page"),
                      Case(ep, "values as an object", {"lang": "en"}, "page")]
        for i, v in enumerate(self.victims):
            cases.append(Case(ep, f"victim {i}'s id as the session hash", base, f"forged:{v['vid']}"))
        for c in cases:
            if c.transport == "api" and not api_can_send(c.data):
                c.transport = "page"
            if ep.gated:
                c.bound_s = GATE_BOUND_S
        return cases

    # --- judging
    def judge(self, case: Case, a: Answer, log: str) -> Verdict:
        sent = json.dumps(case.data, default=str)
        why = []
        if a.timed_out:
            why.append(f"no answer within {case.bound_s:.0f} s")
        if "Traceback (most recent call last)" in log or "Segmentation fault" in log or "MKL ERROR" in log:
            why.append("the server logged: " + _last_exception(log))
        for v in self.victims:
            for secret, what in ((v["marker"], "the victim's name"), (v["token"], "the victim's token")):
                if secret in (a.raw or "") and secret not in sent:
                    why.append(f"the answer carries {what}")
        texts = [a.error] if not a.ok else list(_strings(a.data))
        for text in texts:
            if text is None:
                continue
            why += [f"a generic message: {text[:200]!r}" for g in GENERIC if g in text]
            names = {m for m in EXCEPTION_NAME.findall(text) if m not in sent}
            if names and not any(g in text for g in GENERIC):
                why.append(f"names a Python exception ({', '.join(sorted(names))}): {text[:200]!r}")
            why += [f"shows a server path ({p}): {text[:200]!r}" for p in self.server_paths
                    if p in text and p not in sent]
        if case.endpoint.gated and a.ok and case.transport != "teacher" and not refused_in_data(a.data):
            why.append("a teacher endpoint answered without the teacher's token")
        if not a.ok and not a.timed_out:
            if a.status >= 500:
                why.append(f"HTTP {a.status}: {(a.error or '')[:200]!r}")
            elif a.status == 200:
                if not a.error:
                    why.append("an error without a message")
                else:
                    lang = case_lang(case)
                    if lang == "zh" and not CJK.search(a.error):
                        why.append(f"a refusal to a zh page not in Chinese: {a.error[:200]!r}")
                    if lang == "en" and CJK.search(a.error) and not CJK.search(sent):
                        why.append(f"a refusal to an en page in Chinese: {a.error[:200]!r}")
        if why:
            return Verdict(case, "failed", "; ".join(dict.fromkeys(why)), a)
        return Verdict(case, "accepted" if a.ok else "refused", "", a)

    def record(self, v: Verdict) -> Verdict:
        with self.lock:
            self.verdicts.append(v)
        return v

    def send(self, case: Case, pages: dict[str, Any]) -> Verdict:
        if case.transport.startswith("forged:"):
            page = Page(self.url, case.transport.split(":", 1)[1])
            try:
                answer = page.call(case.endpoint, case.data, case.bound_s)
            finally:
                page.close()
        else:
            answer = pages[case.transport].call(case.endpoint, case.data, case.bound_s)
        return self.judge(case, answer, self.server.new_log())

    # --- phases
    def run_endpoints(self, only: re.Pattern | None) -> None:
        """Every endpoint but the teacher's, one case at a time (so that a line in the server's log is the case's),
        each endpoint's attacker with a tiny paused run of its own to act on; the victims checked after each."""
        api, page = Api(self.url), Page(self.url)
        pages = {"api": api, "page": page}
        self.files(page)
        seen_families: set[str] = set()
        for ep in self.endpoints:
            if ep.gated or (only and not only.search(ep.name)):
                continue
            sibling = ep.family in seen_families
            seen_families.add(ep.family)
            self._prepare(pages)
            t0 = time.monotonic()
            for case in self.battery(ep, page, sibling):
                v = self.record(self.send(case, pages))
                if case.transport.startswith("forged:") or v.kind == "failed":
                    harm = self.victims_unharmed()
                    if harm:
                        v.kind, v.why = "failed", "; ".join(filter(None, [v.why, harm]))
                if v.kind == "accepted":
                    self._calm(pages, case.transport)
            crash = self.server.crashed()
            harm = self.victims_unharmed()
            self.check(f"{ep.name}: other visitors unharmed, server and worker alive", not (crash or harm),
                       "; ".join(filter(None, [crash, harm])))
            if crash:
                self.server.worker = self.server.worker_pid()
            print(f"  {ep.name:<22} {time.monotonic() - t0:5.1f} s", file=sys.stderr, flush=True)
        for t in pages.values():
            t.close()

    def _prepare(self, pages: dict[str, Any]) -> None:
        """Give each attacker a tiny paused run to act on, unless it has one."""
        start, pause = self.by_name["start"], self.by_name["pause"]
        for name, t in pages.items():
            snap = self._snapshot(t) if name == "api" else self._page_snapshot(t)
            if snap.get("state") in ("paused", "running"):
                if snap.get("state") == "running":
                    t.call(pause, ["en"])
                continue
            t.call(start, self.baseline(start))
            t.call(pause, ["en"])
        self.server.new_log()

    def _page_snapshot(self, page: Page) -> dict:
        a = page.call(self.by_name["snapshot"], [])
        return a.data[0] if a.ok and a.data and isinstance(a.data[0], dict) else {"state": "?"}

    def _calm(self, pages: dict[str, Any], transport: str) -> None:
        """After an accepted case: a run it set training is paused, so that hostile runs cost little CPU."""
        t = pages.get(transport)
        if t is None:
            return
        snap = self._snapshot(t) if transport == "api" else self._page_snapshot(t)
        if snap.get("state") == "running":
            t.call(self.by_name["pause"], ["en"])
        self.server.new_log()

    def run_teacher(self, only: re.Pattern | None) -> list[Verdict]:
        """The teacher's endpoints with hostile tokens (every wrong answer is held by the gate, so they go at
        once, concurrently), then a check that the teacher's own token is let through at once during the flood."""
        page = Page(self.url)
        cases = []
        for ep in self.endpoints:
            if not ep.gated or (only and not only.search(ep.name)):
                continue
            k = ep.token_at
            for label, value in [*self.tokens()[-4:], ("no token", None), ("empty token", ""),
                                 ("another visitor's token", self.victims[0]["token"]), ("12,000 characters",
                                                                                          "N" * 12_000)]:
                data = self.baseline(ep, self.rng.choice(("en", "zh")))
                data[k] = value
                cases.append(Case(ep, f"token = {label}", data, "page", GATE_BOUND_S))
        with cf.ThreadPoolExecutor(len(cases) or 1) as pool:
            futures = [pool.submit(lambda c: Page(self.url).call(c.endpoint, c.data, c.bound_s), c) for c in cases]
            time.sleep(2)  # the flood is held by the gate now
            klass = self.by_name.get("teacher_class")
            if klass is not None:
                t0 = time.monotonic()
                data = self.baseline(klass)
                data[klass.token_at] = TEACHER_TOKEN
                right = page.call(klass, data, 10)
                took = time.monotonic() - t0
                self.check("the teacher's token is let through at once while wrong ones flood",
                           right.ok and took < 5, f"{'ok' if right.ok else right.error} in {took:.1f} s")
            export = self.by_name.get("teacher_export")
            if export is not None:
                t0 = time.monotonic()
                data = self.baseline(export)
                data[export.token_at] = TEACHER_TOKEN
                right = page.call(export, data, GATE_BOUND_S)
                took = time.monotonic() - t0
                self.check("the teacher's export is answered at once while wrong ones flood",
                           right.ok and took < 10, f"{'ok' if right.ok else right.error} in {took:.1f} s")
            answers = [f.result() for f in futures]
        log = self.server.new_log()
        out = [self.record(self.judge(c, a, log if i == 0 else "")) for i, (c, a) in enumerate(zip(cases, answers))]
        page.close()
        return out

    def run_concurrency(self, seconds: float) -> None:
        """Concurrent calls: fresh clients starting at once against the host's run limit, two tabs of one visitor
        racing commands, heavy Explore calls beside a victim's tick."""
        start, stop, snapshot = self.by_name["start"], self.by_name["stop"], self.by_name["snapshot"]
        # 1. sixteen fresh pages press Start at once; the host allows 12 runs, some of which exist already
        pages = [Page(self.url) for _ in range(16)]
        label = "concurrent Start from 16 fresh pages against GANAPP_MAX_RUNS=12"
        with cf.ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda p: p.call(start, self.baseline(start)), pages))
        log = self.server.new_log()
        verdicts = [self.record(self.judge(Case(start, label, self.baseline(start)), a, log if i == 0 else ""))
                    for i, a in enumerate(answers)]
        # a run started among many may still wait for the engine's first turn ("waiting")
        states = [self._page_snapshot(p).get("state") for p in pages]
        running = sum(1 for s in states if s in ("running", "waiting", "paused"))
        refused_full = sum(1 for v in verdicts if v.kind == "refused")
        self.check("concurrent Starts: the run limit holds, and the others are told the server is full",
                   running + refused_full == len(pages) and running <= 12,
                   f"{running} started, {refused_full} refused (the pages' states: "
                   f"{', '.join(f'{k} {n}' for k, n in sorted(Counter(map(str, states)).items()))})")
        for p in pages:
            p.call(stop, ["en"])
            p.call(self.by_name["unload"], [])
            p.close()
        # 2. four tabs of one visitor race commands
        tabs = [Page(self.url) for _ in range(4)]
        token = tabs[0].call(self.by_name["attach_page"], self._attach_data(None)).data
        token = token[0] if isinstance(token, list) else None
        for tab in tabs[1:]:
            tab.call(self.by_name["attach_page"], self._attach_data(token))
        commands = [e for e in self.endpoints if e.name in ("start", "pause", "resume", "stop", "step", "reset",
                                                            "step_d", "step_g", "step_both", "compare",
                                                            "end_compare", "tick", "snapshot", "set_setting",
                                                            "slow_motion", "explore", "export_gif")]
        deadline = time.monotonic() + seconds

        def race(tab: Page, seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                ep = rng.choice(commands)
                data = self.baseline(ep)
                if ep.name == "set_setting":
                    data = ["en", "lr_g", rng.choice([1e-3, 2e-3])]
                self.record(self.judge(Case(ep, "four tabs of one visitor racing", data), tab.call(ep, data), ""))

        with cf.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda args: race(*args), [(tab, n) for n, tab in enumerate(tabs)]))
        log = self.server.new_log()
        if "Traceback (most recent call last)" in log:
            self.check("four tabs racing: nothing in the server's log", False, _last_exception(log))
        for tab in tabs:
            tab.call(stop, ["en"])
            tab.close()
        # 3. heavy Explore calls from four pages while the training victim's page ticks
        heavy = [e for e in self.endpoints if e.name in ("interpolate", "find_directions", "timelapse", "explore")]
        tick = self.by_name["tick"]
        victim = self.victims[1]["api"]
        stop_at = time.monotonic() + seconds / 2
        worst = [0.0]

        def ticking() -> None:
            while time.monotonic() < stop_at:
                a = victim.call(tick, ["en"])
                worst[0] = max(worst[0], a.elapsed_s)
                time.sleep(0.5)

        def pounding(seed: int) -> None:
            page, rng = Page(self.url), random.Random(seed)
            while time.monotonic() < stop_at:
                ep = rng.choice(heavy)
                data = self.baseline(ep)
                for k, inp in enumerate(ep.inputs):  # every slider at its heaviest (the most frames ...)
                    if inp.type == "slider" and isinstance(inp.props.get("maximum"), (int, float)):
                        data[k] = inp.props["maximum"]
                self.record(self.judge(Case(ep, "heavy calls from four pages at once", data), page.call(ep, data), ""))
            page.close()

        with cf.ThreadPoolExecutor(5) as pool:
            list(pool.map(lambda f: f(), [ticking] + [lambda s=s: pounding(s) for s in range(4)]))
        self.check("another visitor's tick answers within 5 s during heavy calls", worst[0] < 5,
                   f"slowest tick {worst[0]:.2f} s")
        log = self.server.new_log()
        if "Traceback (most recent call last)" in log:
            self.check("heavy calls: nothing in the server's log", False, _last_exception(log))
        del snapshot

    def _attach_data(self, token: Any) -> list:
        ep = self.by_name["attach_page"]
        data = self.baseline(ep)
        k = next(i for i, inp in enumerate(ep.inputs) if inp.type == "browserstate")
        data[k] = token
        return data

    def run_routes(self) -> None:
        """Gradio's own routes with what a visitor may send them: files by a server path, by a victim's autosave,
        uploads with a climbing name, an unknown event."""
        http = httpx.Client(timeout=BOUND_S)
        autosaves = sorted(p for p in self.server.state_dir.rglob("*") if p.is_file())
        targets = [("/etc/passwd", "/etc/passwd"), ("app.py", str(ROOT / "app.py")),
                   ("a climbing path", "../../../../etc/passwd")]
        targets += [(f"an autosave ({p.name})", str(p)) for p in autosaves[:3]]
        ep = Endpoint(-1, "gradio routes", False, "", [])
        for label, target in targets:
            r = http.get(self.url + "gradio_api/file=" + target)
            ok = r.status_code == 200
            v = Verdict(Case(ep, f"GET file= {label}", target), "failed" if ok else "refused",
                        f"served {len(r.content)} bytes of {target}" if ok else "", Answer(ok, status=r.status_code))
            self.record(v)
        r = http.post(self.url + "gradio_api/upload", files=[("files", ("../../../../tmp/escaped.txt", b"x"))])
        escaped = Path("/tmp/escaped.txt").exists()
        where = r.json()[0] if r.status_code == 200 else ""
        self.record(Verdict(Case(ep, "upload with a climbing file name", "../../../../tmp/escaped.txt"),
                            "failed" if escaped or r.status_code >= 500 else
                            ("accepted" if r.status_code == 200 else "refused"),
                            f"written at {where}" if escaped else "", Answer(r.status_code == 200)))
        for label, body in [("an unknown event", {"data": [], "fn_index": 99999, "session_hash": "x"}),
                            ("a 100 kB session hash", {"data": [], "fn_index": 0, "session_hash": "s" * 100_000}),
                            ("a body that is not JSON", None)]:
            content = b"{not json" if body is None else dumps(body)
            try:  # (a fresh connection each: the server closes one after a 500)
                r = httpx.post(self.url + "gradio_api/queue/join", content=content, timeout=BOUND_S,
                               headers={"content-type": "application/json"})
                status, why = r.status_code, f"HTTP {r.status_code}: {r.text[:200]}"
            except httpx.HTTPError as e:
                status, why = 599, f"{type(e).__name__}: {e}"
            kind = "failed" if status >= 500 else ("accepted" if status == 200 else "refused")
            self.record(Verdict(Case(ep, f"queue/join with {label}", label), kind, why if kind == "failed" else "",
                                Answer(status == 200)))
        http.close()
        self.server.new_log()


def refused_in_data(data: Any) -> bool:
    """Whether an answer is the teacher page's refusal as data: the refresh of a page whose token is wrong stops its
    Timer and shows "Refused." in its note, and sends nothing of the class."""
    from ganapp.ui.i18n import LANGS, t

    refusals = {t(lang, "teacher_refused") for lang in LANGS}
    return any(text in refusals for text in _strings(data))


def case_lang(case: Case) -> str | None:
    """The language the caller asked for, where it is a valid one."""
    ep, data = case.endpoint, case.data
    if not isinstance(data, list):
        return None
    k = ep.lang_at
    if k is None or k >= len(data):
        return None
    return data[k] if data[k] in ("en", "zh") else None


def _strings(value: Any):
    """Every string in an answer's outputs but the paths and URLs of the files it returns."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        if value.get("meta") == FILE_DATA or "path" in value and "url" in value:
            return
        for k, v in value.items():
            if k not in ("__type__",):
                yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _last_exception(log: str) -> str:
    lines = [ln for ln in log.splitlines() if ln.strip()]
    tail = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception|Interrupt)\b", ln) or "Segmentation" in ln]
    return (tail[-1] if tail else lines[-1] if lines else "")[:300]


# ----- the command line -------------------------------------------------------------------------------------------

FORK_DRIVER = r"""
import json, os, runpy, signal, sys, time, traceback
sys.path.insert(0, sys.argv[1])
import ganapp.cli  # torch and the rest, once: each case is a child forked from here
for line in sys.stdin:
    case = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        os.chdir(case["cwd"])
        for fd, name in ((1, "out"), (2, "err")):
            os.dup2(os.open(case[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        os.environ.update(case["env"])
        sys.argv = ["python -m ganapp", *case["argv"]]
        try:
            runpy.run_module("ganapp", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if not isinstance(e.code, (int, type(None))):
                print(e.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    deadline, status = time.monotonic() + case["bound_s"], None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.02)
    else:
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        status = None
    rc = None if status is None else (os.waitstatus_to_exitcode(status))
    print(json.dumps({"rc": rc}), flush=True)
"""


@dataclass
class CliCase:
    argv: list[str]
    expect_ok: bool = False  # a valid command (accepted when it exits 0)
    env: dict = field(default_factory=dict)


def cli_cases(lies: Lies, work: Path, quick: bool, rng: random.Random) -> list[CliCase]:
    """Hostile invocations of every subcommand: flags out of range or of the wrong type, files that lie, paths
    that cannot be written, environment settings that are not numbers."""
    from ganapp.gan.checkpoints import save_checkpoint
    from ganapp.gan.config import CLI_FIELDS, SETTINGS, GANConfig
    from ganapp.gan.models import build_generator

    ring = GANConfig.default_for("ring8", g_width=8, d_width=8, batch_size=16, n_fixed=16)
    image = GANConfig(dataset="mnist_10k", model="dcgan", z_dim=8, g_width=4, d_width=4, batch_size=8, n_fixed=16)
    ring_ckpt = save_checkpoint(work / "ring.safetensors", build_generator(ring), ring, 3)
    image_ckpt = save_checkpoint(work / "image.safetensors", build_generator(image), image, 3)
    image2 = image.replace(z_dim=4)
    image2_ckpt = save_checkpoint(work / "image_z4.safetensors", build_generator(image2), image2, 5)
    out = str(work / "out.safetensors")
    tiny = ["--dataset", "ring8", "--g-width", "8", "--d-width", "8", "--batch-size", "16", "--n-fixed", "16"]
    bad_numbers = ["nan", "inf", "-inf", "-1", "1e308", str(10 ** 30), "abc", "0x10", "", "1e-320", "1.5", "٣"]
    liars = [str(p) for p in lies.checkpoints.values()]
    files = liars + [str(lies.fifo), "/dev/zero", str(lies.directory), str(work / "missing.safetensors"),
                     "/etc/passwd"]
    cases = [CliCase([]), CliCase(["--help"], True), CliCase(["bogus"]), CliCase(["train"]),
             CliCase(["train", "--out", out, "--bogus"]), CliCase(["sample", "--checkpoint"])]
    cases += [CliCase([c, "--help"], True) for c in ("train", "sample", "eval", "timelapse", "train-classifier")]
    # train: each setting's flag with values out of range or of the wrong type
    flags = [SETTINGS[n].flag for n in CLI_FIELDS if SETTINGS[n].type != "bool" and (SETTINGS[n].range
                                                                                       or SETTINGS[n].integer)]
    flags += ["--steps", "--minutes", "--save-every"]
    for flag in flags:
        values = rng.sample(bad_numbers, 1 if quick else 3)
        for value in values:
            argv = ["train", "--out", out, "--steps", "2", *tiny]
            cases.append(CliCase(argv + [flag, value] if flag != "--steps" else
                                 ["train", "--out", out, *tiny, "--steps", value]))
    cases += [CliCase(["train", "--out", out, "--steps", "2", *tiny], True),
              CliCase(["train", "--out", out, "--steps", "2", "--minutes", "inf", *tiny], True),
              CliCase(["train", "--out", out, "--steps", "2", *tiny[:-2], "--dataset", "../../etc"]),
              CliCase(["train", "--out", out, "--steps", "2", "--model", "x"]),
              CliCase(["train", "--out", out, "--steps", "2", "--image-size", "4096"]),
              CliCase(["train", "--out", out, "--steps", "2", *tiny, "--device", "cuda"]),
              CliCase(["train", "--out", out, "--steps", "2", *tiny, "--betas", "nan", "0.5"]),
              CliCase(["train", "--out", out, "--steps", "2", "--dataset", "folder", "--model", "mlp",
                       "--data-path", "/etc/passwd"]),
              CliCase(["train", "--out", out, "--steps", "2", "--dataset", "folder", "--model", "mlp",
                       "--g-width", "8", "--d-width", "8", "--batch-size", "8", "--data-path",
                       str(lies.climbing_zip)]),
              CliCase(["train", "--out", out, "--steps", "2", "--dataset", "folder", "--model", "mlp",
                       "--g-width", "8", "--d-width", "8", "--batch-size", "8", "--data-path",
                       str(lies.inflating_zip)]),
              CliCase(["train", "--out", out, "--steps", "2", "--dataset", "mnist", "--data-dir", "/nonexistent"]),
              CliCase(["train", "--out", "/proc/ganapp.safetensors", "--steps", "2", *tiny]),
              CliCase(["train", "--out", str(lies.directory), "--steps", "2", *tiny]),
              CliCase(["train", "--out", str(work / ("n" * 300 + ".safetensors")), "--steps", "2", *tiny]),
              CliCase(["train", "--out", str(work / "x.txt"), "--steps", "2", *tiny]),
              CliCase(["train", "--out", out, "--steps", "2", *tiny], env={"GANAPP_MAX_MODEL_MB": "abc"}),
              CliCase(["train", "--out", out, "--steps", "2", "--dataset", "mnist_10k", "--model", "dcgan",
                       "--g-width", "2048", "--d-width", "2048", "--image-size", "64"])]
    cases += [CliCase(["train", "--out", out, "--steps", "2", "--init", f]) for f in
              (files if not quick else rng.sample(files, 4))]
    # sample, eval, timelapse: each lying file, and the flags out of range on an honest checkpoint
    for f in (files if not quick else rng.sample(files, 4)):
        cases += [CliCase(["sample", "--checkpoint", f, "--out", str(work / "s.png")]),
                  CliCase(["eval", "--checkpoint", f, "--n", "10"])]
    cases += [CliCase(["timelapse", "--checkpoints", *liars[:3], "--out", str(work / "t.gif")]),
              CliCase(["timelapse", "--checkpoints", str(image_ckpt), str(image2_ckpt), "--out", str(work / "t.gif")]),
              CliCase(["timelapse", "--checkpoints", str(ring_ckpt), "--out", str(work / "t.gif")]),
              CliCase(["timelapse", "--checkpoints", str(image_ckpt), "--out", str(work / "t.txt")]),
              CliCase(["timelapse", "--checkpoints", str(image_ckpt), str(lies.fifo), "--out", str(work / "t.gif")]),
              CliCase(["timelapse", "--checkpoints", *[str(image_ckpt)] * 200, "--out", str(work / "t.gif")], True),
              CliCase(["sample", "--checkpoint", str(ring_ckpt), "--n", "16", "--out", str(work / "s.npy")], True),
              CliCase(["eval", "--checkpoint", str(ring_ckpt), "--n", "50"], True)]
    for value in (["0", "-1", "100001", str(10 ** 30), "abc"] if not quick else ["0", str(10 ** 30)]):
        cases += [CliCase(["sample", "--checkpoint", str(ring_ckpt), "--n", value, "--out", str(work / "s.npy")]),
                  CliCase(["eval", "--checkpoint", str(ring_ckpt), "--n", value])]
    for value in (["-1", str(2 ** 63), str(10 ** 30)] if not quick else [str(2 ** 63)]):
        cases += [CliCase(["sample", "--checkpoint", str(ring_ckpt), "--seed", value, "--out", str(work / "s.npy")]),
                  CliCase(["eval", "--checkpoint", str(ring_ckpt), "--n", "10", "--seed", value]),
                  CliCase(["timelapse", "--checkpoints", str(image_ckpt), "--seed", value, "--out",
                           str(work / "t.gif")])]
    cases += [CliCase(["sample", "--checkpoint", str(ring_ckpt), "--out", str(work / "s.txt")]),
              CliCase(["sample", "--checkpoint", str(ring_ckpt), "--out", "/proc/ganapp.npy"]),
              CliCase(["sample", "--checkpoint", str(ring_ckpt), "--label", "5", "--out", str(work / "s.npy")]),
              CliCase(["sample", "--checkpoint", str(image_ckpt), "--n", "5000", "--out", str(work / "s.png")]),
              CliCase(["timelapse", "--checkpoints", str(image_ckpt), "--label", "99", "--out", str(work / "t.gif")]),
              CliCase(["train-classifier", "--epochs", "0"]), CliCase(["train-classifier", "--epochs", "101"]),
              CliCase(["train-classifier", "--out", str(work / "c.txt")]),
              CliCase(["train-classifier", "--epochs", "1", "--data-dir", "/nonexistent",
                       "--out", str(work / "c.safetensors")])]
    return cases


def run_cli(cases: list[CliCase], work: Path, real: int) -> list[tuple[CliCase, str, str, str]]:
    """Run each case as a process; the first ``real`` ones as ``python -m ganapp`` too (their verdicts must agree).
    Returns (case, verdict, why, stderr's tail)."""
    driver = subprocess.Popen([sys.executable, "-c", FORK_DRIVER, str(ROOT)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"})
    results = []
    for n, case in enumerate(cases):
        out, err = work / f"cli{n}.out", work / f"cli{n}.err"
        driver.stdin.write(json.dumps({"argv": case.argv, "cwd": str(work), "out": str(out), "err": str(err),
                                       "env": case.env, "bound_s": CLI_BOUND_S}) + "\n")
        driver.stdin.flush()
        rc = json.loads(driver.stdout.readline())["rc"]
        stderr = err.read_text(errors="replace") if err.exists() else ""
        verdict, why = judge_cli(case, rc, stderr)
        if n < real:  # the same invocation as a real process
            r = subprocess.run([sys.executable, "-m", "ganapp", *case.argv], cwd=work, capture_output=True,
                               text=True, timeout=CLI_BOUND_S,
                               env={**os.environ, **case.env, "PYTHONPATH": str(ROOT)})
            v2, why2 = judge_cli(case, r.returncode, r.stderr)
            if (v2, r.returncode) != (verdict, rc):
                verdict, why = "failed", f"a real process differs: {r.returncode} {why2} vs {rc} {why}"
        results.append((case, verdict, why, stderr.strip()[-300:]))
    driver.stdin.close()
    driver.wait(30)
    return results


def judge_cli(case: CliCase, rc: int | None, stderr: str) -> tuple[str, str]:
    lines = [ln for ln in stderr.replace("\r", "\n").splitlines() if ln.strip()]
    errors = [ln for ln in lines if not re.search(r"\d+%\||it/s|s/it|step/s", ln)]  # tqdm's bar is not a message
    if rc is None:
        return "failed", f"no exit within {CLI_BOUND_S:.0f} s"
    if "Traceback" in stderr or "Segmentation" in stderr:
        return "failed", "a traceback: " + (_last_exception(stderr) or "")
    if rc < 0:
        return "failed", f"killed by signal {-rc}"
    if rc == 0:
        return ("accepted", "") if case.expect_ok else ("accepted", "exit 0")
    if len(errors) == 1 and errors[0].startswith("ganapp: error: "):
        return "refused", ""
    return "failed", f"exit {rc} without one line 'ganapp: error: ...': {errors[-3:]}"


# ----- the report ------------------------------------------------------------------------------------------------

def describe(value: Any, limit: int = 160) -> str:
    """A value as a repro: long strings and lists by their length."""
    def short(v: Any) -> Any:
        if isinstance(v, str) and len(v) > 40:
            return f"<{v[:12]!r} x {len(v):,} chars>"
        if isinstance(v, list) and len(v) > 8:
            return [short(x) for x in v[:3]] + [f"... {len(v):,} items"]
        if isinstance(v, list):
            return [short(x) for x in v]
        if isinstance(v, dict):
            return {k: short(x) for k, x in v.items()}
        return v
    text = repr(short(value))
    return text if len(text) <= limit else text[:limit] + "..."


def report(adv: Adversary | None, cli: list, elapsed_s: float, out_json: Path | None) -> int:
    rows: dict[str, Tally] = {}
    total = Tally()
    failures = []
    if adv is not None:
        for v in adv.verdicts:
            rows.setdefault(v.case.endpoint.name, Tally()).add(v.kind)
            total.add(v.kind)
            if v.kind == "failed":
                data = v.case.data
                failures.append(f"{v.case.endpoint.name} [{v.case.transport.split(':')[0]}] {v.case.label}: {v.why}"
                                f"\n      sent: {describe(data)}")
    cli_rows: dict[str, Tally] = {}
    for case, verdict, why, tail in cli:
        name = "cli " + (case.argv[0] if case.argv and not case.argv[0].startswith("-") else "(none)")
        cli_rows.setdefault(name, Tally()).add(verdict)
        total.add(verdict)
        if verdict == "failed":
            failures.append(f"{name}: {why}\n      argv: python -m ganapp {' '.join(map(repr, case.argv))[:300]}"
                            + (f" env {case.env}" if case.env else "") + f"\n      stderr: {tail[-200:]!r}")
    print(f"\n{'endpoint':<28} {'tried':>6} {'accepted':>9} {'refused':>8} {'failed':>7}")
    for name, t in [*rows.items(), *cli_rows.items()]:
        print(f"{name:<28} {t.tried:>6} {t.accepted:>9} {t.refused:>8} {t.failed:>7}")
    print(f"{'TOTAL':<28} {total.tried:>6} {total.accepted:>9} {total.refused:>8} {total.failed:>7}")
    checks = adv.checks if adv is not None else []
    broken = [c for c in checks if not c[1]]
    print(f"\nchecks: {len(checks)}, held {len(checks) - len(broken)}, broken {len(broken)}")
    for what, _, detail in broken:
        print(f"  BROKEN {what}: {detail}")
    print(f"\n{len(failures)} failures" + (":" if failures else ""))
    for f in failures:
        print("  " + f)
    print(f"\n{len(rows)} app endpoints, {len(cli_rows)} CLI commands, in {elapsed_s:.0f} s")
    if out_json:
        out_json.write_text(json.dumps({"total": total.__dict__, "endpoints": {k: v.__dict__ for k, v in rows.items()},
                                        "cli": {k: v.__dict__ for k, v in cli_rows.items()},
                                        "checks": checks, "failures": failures, "elapsed_s": elapsed_s}, indent=1))
    return 1 if failures or broken else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one hostile value per input, fewer CLI cases")
    p.add_argument("--only", help="a regular expression: only the endpoints whose name it finds")
    p.add_argument("--skip-cli", action="store_true")
    p.add_argument("--skip-app", action="store_true")
    p.add_argument("--race-s", type=float, default=None, help="seconds of each concurrency scenario")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write the counts and failures here")
    p.add_argument("--keep", action="store_true", help="keep the work folder (the server's log, the files)")
    a = p.parse_args()
    sys.setrecursionlimit(20_000)  # json encodes the 3,000-deep value recursively, as a hostile client's would not
    only = re.compile(a.only) if a.only else None
    rng = random.Random(a.seed)
    t0 = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="ganapp-adversary-"))
    lies = Lies(work / "lies")
    adv, cli = None, []
    try:
        if not a.skip_app:
            print("launching python app.py ...", file=sys.stderr, flush=True)
            server = Server(work)
            try:
                adv = Adversary(server, lies, a.quick, a.seed)
                adv.make_victims()
                print(f"{len(adv.endpoints)} endpoints; the batteries:", file=sys.stderr, flush=True)
                adv.run_endpoints(only)
                adv.run_routes()
                if not only:
                    print("concurrency ...", file=sys.stderr, flush=True)
                    adv.run_concurrency(a.race_s or (8 if a.quick else 20))
                print("the teacher's endpoints ...", file=sys.stderr, flush=True)
                teacher = threading.Thread(target=adv.run_teacher, args=(only,))
                teacher.start()
                if not a.skip_cli:
                    print("the command line ...", file=sys.stderr, flush=True)
                    cli = run_cli(cli_cases(lies, work, a.quick, rng), work, real=2 if a.quick else 4)
                teacher.join()
                crash = server.crashed()
                harm = adv.victims_unharmed()
                adv.check("at the end: other visitors unharmed, server and worker alive", not (crash or harm),
                          "; ".join(filter(None, [crash, harm])))
                lost = adv.victims_found_whole()
                adv.check("at the end: each victim's token finds its run and name", lost is None, lost or "")
            finally:
                server.stop()
        elif not a.skip_cli:
            cli = run_cli(cli_cases(lies, work, a.quick, rng), work, real=2 if a.quick else 4)
    finally:
        if a.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report(adv, cli, time.monotonic() - t0, a.json)


if __name__ == "__main__":
    sys.exit(main())
