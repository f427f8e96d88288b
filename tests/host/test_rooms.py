"""Rooms (issue 25, section 2): a room's name is checked at start, each room keeps its autosaves and its secret in
a folder of its own (so one room's visitor token means nothing in another, and a restarted room restores only its
own runs), and the landing page shows what it is given, escaped, for the host a browser reached it by."""

import urllib.error
import urllib.request

import pytest

from conftest import free_port


@pytest.mark.parametrize("name", ["a", "room-1", "physics-101", "0", "x" * 32])
def test_a_room_name_is_a_short_slug(name):
    from ganapp.host.rooms import room_name

    assert room_name(name) == name


@pytest.mark.parametrize("name", ["", "Room-1", "room_1", "-room", "room 1", "../x", "x" * 33, "é", "room-1\n", None])
def test_any_other_room_name_is_refused_with_the_allowed_form(name):
    from ganapp.host.rooms import room_name

    with pytest.raises(ValueError, match="is not a room name: use 1 to 32 lowercase letters, digits and hyphens"):
        room_name(name)


def test_the_app_refuses_a_bad_GANAPP_ROOM_at_start_naming_the_variable(monkeypatch):
    import app as app_module

    monkeypatch.setenv("GANAPP_ROOM", "Physics 101")
    with pytest.raises(SystemExit, match=r"^GANAPP_ROOM: 'Physics 101' is not a room name: use 1 to 32"):
        app_module.current_room()
    with pytest.raises(SystemExit, match="GANAPP_ROOM"):
        app_module.create_demo(worker=False, download=False)
    monkeypatch.setenv("GANAPP_ROOM", "physics-101")
    assert app_module.current_room() == "physics-101"
    monkeypatch.delenv("GANAPP_ROOM")
    assert app_module.current_room() is None


def test_each_room_keeps_its_autosaves_and_secret_apart(tmp_path):
    import app as app_module

    single = app_module.state_store(tmp_path)
    one, two = app_module.state_store(tmp_path, "room-1"), app_module.state_store(tmp_path, "room-2")
    assert single.root == tmp_path  # a single host's folder is where it always was
    assert one.root == tmp_path / "rooms" / "room-1" and two.root == tmp_path / "rooms" / "room-2"
    assert (one.root / "secret.key").read_bytes() != (two.root / "secret.key").read_bytes()
    token = one.new_token()
    assert one.verify(token) is not None
    assert two.verify(token) is None and single.verify(token) is None  # a token of room-1 is a stranger's elsewhere
    vid = one.verify(token)
    assert not one.folder(vid).is_relative_to(two.root)
    assert app_module.state_store(tmp_path, "room-1").verify(token) == vid  # room-1 restarted knows its visitor


def test_a_room_s_state_folder_is_refused_for_a_bad_name(tmp_path):
    from ganapp.host.rooms import room_state_dir

    with pytest.raises(ValueError, match="not a room name"):
        room_state_dir(tmp_path, "../other")


def test_the_landing_page_serves_its_page_at_the_root_only_for_the_host_reached():
    from ganapp.host.landing_page import LandingPage

    seen = []

    def render(host: str) -> str:
        seen.append(host)
        return f"<p>rooms on {host}</p>"

    port = free_port()
    page = LandingPage(render, "127.0.0.1", port)
    page.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
            assert r.read().decode() == "<p>rooms on 127.0.0.1</p>"
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/secret.key", timeout=10)
        assert e.value.code == 404
        forged = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": 'x"><script>alert(1)</script>'})
        with urllib.request.urlopen(forged, timeout=10) as r:
            assert r.read().decode() == "<p>rooms on 127.0.0.1</p>"  # a Host header that is no host name is ignored
        named = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": f"school.example:{port}"})
        with urllib.request.urlopen(named, timeout=10) as r:
            assert r.read().decode() == "<p>rooms on school.example</p>"
    finally:
        page.close()
    assert seen == ["127.0.0.1", "127.0.0.1", "school.example"]


def test_rooms_take_the_ports_after_the_landing_page_s_each_with_its_own_teacher_token(tmp_path):
    from ganapp.host.rooms import Rooms

    rooms = Rooms(["physics", "chemistry", "biology"], tmp_path / "app.py", port=9000)
    assert [(r.name, r.port) for r in rooms.rooms] == [("physics", 9001), ("chemistry", 9002), ("biology", 9003)]
    tokens = {r.teacher_token for r in rooms.rooms}
    assert len(tokens) == 3 and all(len(t) >= 12 for t in tokens)  # the app's teacher gate wants 12 or more
    with pytest.raises(ValueError, match="each room needs a name of its own"):
        Rooms(["a", "a"], tmp_path / "app.py")
    with pytest.raises(ValueError, match=r"--port=65534 is out of range: it must be in 1\.\.65533"):
        Rooms(["a", "b"], tmp_path / "app.py", port=65534)


def test_a_taken_port_is_named_before_any_room_starts(tmp_path):
    import socket

    from ganapp.host.rooms import Rooms

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        rooms = Rooms(["a"], tmp_path / "app.py", port=port - 1)
        with pytest.raises(OSError, match=f"port {port} on 127.0.0.1 is in use: choose another --port"):
            rooms.start(lambda host: "")
    assert all(r.process is None for r in rooms.rooms)


def test_a_ray_head_that_cannot_start_is_one_clear_error_and_no_room_starts(tmp_path, monkeypatch):
    from ganapp.host import rooms

    def timed_out():
        raise Exception("The current node timed out during startup.")

    monkeypatch.setattr(rooms, "start_ray", timed_out)
    launcher = rooms.Rooms(["a"], tmp_path / "app.py", port=free_port(), ray=True)
    if not all(rooms.port_free("127.0.0.1", r.port) for r in launcher.rooms):
        pytest.skip("the room's port is taken")
    with pytest.raises(OSError, match=r"^Ray could not start a local head \(The current node timed out during "
                                      r"startup\.\): start the rooms with --no-ray"):
        launcher.start(lambda host: "")
    assert launcher.rooms[0].process is None and launcher.landing is None


def test_each_room_process_gets_its_own_name_port_token_and_cache_and_all_stop(tmp_path):
    """What Rooms hands each room's process, read by a stand-in for app.py that writes its environment down and
    waits to be stopped."""
    import json

    from conftest import wait_until
    from ganapp.host.rooms import Rooms

    (tmp_path / "app.py").write_text(
        "import json, os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
        "open(os.environ['GANAPP_ROOM'] + '.json', 'w').write(json.dumps(dict(os.environ)))\n"
        "time.sleep(600)\n")
    env = {"PATH": "/usr/bin:/bin", "GRADIO_ROOT_PATH": "/somewhere", "GRADIO_TEMP_DIR": str(tmp_path / "cache"),
           "GANAPP_TEACHER_TOKEN": "the-host-s-own-token"}
    launcher = Rooms(["physics", "chemistry"], tmp_path / "app.py", port=free_port(), env=env)
    if not all(rooms_port_free(r.port) for r in launcher.rooms):
        pytest.skip("a room's port is taken")
    launcher.start(lambda host: "")
    try:
        assert wait_until(lambda: all((tmp_path / f"{r}.json").is_file() for r in ("physics", "chemistry")), 60)
        seen = {r.name: json.loads((tmp_path / f"{r.name}.json").read_text()) for r in launcher.rooms}
    finally:
        launcher.stop()
    for room in launcher.rooms:
        got = seen[room.name]
        assert got["GANAPP_ROOM"] == room.name and got["GRADIO_SERVER_PORT"] == str(room.port)
        assert got["GANAPP_TEACHER_TOKEN"] == room.teacher_token != "the-host-s-own-token"
        assert got["GRADIO_TEMP_DIR"] == str(tmp_path / "cache" / room.name)
        assert "GRADIO_ROOT_PATH" not in got and "GANAPP_RAY_ADDRESS" not in got
        assert room.process.returncode == 0  # stopped by SIGTERM, as app.py is


def rooms_port_free(port: int) -> bool:
    from ganapp.host.rooms import port_free

    return port_free("127.0.0.1", port)
