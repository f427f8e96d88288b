"""``python -m ganapp rooms 2`` as a host runs it (issue 25, section 2): both rooms answer on their own ports with
their own names and teacher tokens, the landing page lists both, each room autosaves into a folder of its own, and
one SIGTERM stops every process it started (rooms and their training workers), none left behind."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from conftest import ROOT, free_port, wait_until


def _descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (Linux's /proc)."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def test_rooms_2_serves_two_rooms_and_a_landing_page_and_one_sigterm_stops_every_process(tmp_path):
    port = free_port()
    while not all(_free(p) for p in (port + 1, port + 2)):
        port = free_port()
    env = {**os.environ, "GANAPP_STATE_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1", "GANAPP_DOWNLOAD": "0"}
    env.pop("GANAPP_RAY_ADDRESS", None)
    proc = subprocess.Popen([sys.executable, "-m", "ganapp", "rooms", "2", "--port", str(port), "--no-ray"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    try:
        assert wait_until(lambda: any("ready, every room answers" in line for line in lines) or proc.poll() is not None,
                          240, every_s=0.5), "".join(lines)
        assert proc.poll() is None, "".join(lines)
        out = "".join(lines)
        assert "each room trains in its own training worker (--no-ray)" in out
        tokens = re.findall(r"^  (room-[12]) +http://127\.0\.0\.1:(\d+)/ .* token: (\S+)$", out, re.M)
        assert [(name, int(p)) for name, p, _ in tokens] == [("room-1", port + 1), ("room-2", port + 2)]
        assert tokens[0][2] != tokens[1][2]
        for i, (name, room_port, _) in enumerate(tokens, start=1):
            config = json.loads(_get(f"http://127.0.0.1:{room_port}/config"))
            shown = [c["props"].get("value") for c in config["components"]
                     if c.get("props", {}).get("elem_id") in ("room-name", "teacher-room")]
            assert shown == [f"Room: {name}", f"Room: {name}"]  # its own name on its page and its teacher's view
        landing = _get(f"http://127.0.0.1:{port}/")
        assert f'href="http://127.0.0.1:{port + 1}/">room-1</a>' in landing
        assert f'href="http://127.0.0.1:{port + 2}/">room-2</a>' in landing
        assert sorted(p.name for p in (tmp_path / "rooms").iterdir()) == ["room-1", "room-2"]
        assert all((tmp_path / "rooms" / r / "secret.key").is_file() for r in ("room-1", "room-2"))
        # the rooms' training workers start in the background once the pages are served
        assert wait_until(lambda: len(_descendants(proc.pid)) >= 4, 120, every_s=0.5), _descendants(proc.pid)
        started = _descendants(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=150)
        except subprocess.TimeoutExpired:
            for pid in _descendants(proc.pid):
                os.kill(pid, signal.SIGKILL)
            proc.kill()
            raise
    assert proc.returncode == 0, "".join(lines)
    assert wait_until(lambda: not any(_alive(pid) for pid in started), 30, every_s=0.2), \
        [pid for pid in started if _alive(pid)]


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_rooms_refuses_bad_arguments_in_one_line_naming_them(capsys):
    from ganapp.cli import main

    cases = {
        ("rooms",): "say how many rooms",
        ("rooms", "0"): "0 rooms is out of range: it must be in 1..64",
        ("rooms", "65"): "65 rooms is out of range: it must be in 1..64",
        ("rooms", "2", "--names", "a"): "2 rooms but 1 --names",
        ("rooms", "--names", "physics", "Bio_1"): "--names: 'Bio_1' is not a room name: use 1 to 32 lowercase",
        ("rooms", "--names", "a", "a"): "each room needs a name of its own",
        ("rooms", "2", "--port", "65534"): "--port=65534 is out of range",
    }
    for argv, message in cases.items():
        assert main(list(argv)) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("ganapp: error: ") and message in err and err.count("\n") == 1, (argv, err)
