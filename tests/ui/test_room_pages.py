"""A room's pages (issue 25, section 2): the page's header and the teacher's page name the room in the reader's
language; each room keeps its visitor's token under a browser key of its own (rooms behind one proxy share the
browser's storage); the landing page of ``python -m ganapp rooms`` lists the rooms, escaped, in both languages."""

import pytest

from ganapp.ui.i18n import t


def _by_id(demo, elem_id):
    found = [c for c in demo.blocks.values() if getattr(c, "elem_id", None) == elem_id]
    return found[0] if found else None


def _room_relabel(demo, elem_id):
    """The language switch's handler that rewrites the component ``elem_id``."""
    target = _by_id(demo, elem_id)
    fns = [f for f in demo.fns.values() if len(f.outputs) == 1 and f.outputs[0] is target and f.fn is not None]
    assert len(fns) == 1
    return fns[0].fn


def test_a_room_s_page_and_teacher_page_name_the_room_in_both_languages(app, tmp_path):
    from ganapp.host.classroom import Classroom
    from ganapp.host.teacher_gate import TeacherGate
    from ganapp.ui.handlers import GanApp
    from ganapp.ui.layout import build_demo

    app = GanApp(app.registry, tmp_path, classroom=Classroom(app.registry, TeacherGate("a-teacher-token")))
    demo = build_demo(app, room="physics-101")
    assert _by_id(demo, "room-name").value == "Room: physics-101"
    assert _by_id(demo, "teacher-room").value == "Room: physics-101"
    for elem_id in ("room-name", "teacher-room"):
        assert _room_relabel(demo, elem_id)("zh") == t("zh", "room_name", room="physics-101") == "教室：physics-101"
        assert _room_relabel(demo, elem_id)("en") == "Room: physics-101"


def test_a_page_without_a_room_shows_none(app):
    from ganapp.ui.layout import build_demo

    demo = build_demo(app)
    assert _by_id(demo, "room-name") is None


def test_each_room_keeps_its_visitor_token_under_a_browser_key_of_its_own(app):
    import gradio as gr

    from ganapp.ui.layout import build_demo

    def storage_key(demo):
        (state,) = [c for c in demo.blocks.values() if isinstance(c, gr.BrowserState)]
        return state.storage_key

    assert storage_key(build_demo(app)) == "ganapp_visitor"  # a single host's visitors keep their token
    assert storage_key(build_demo(app, room="room-1")) == "ganapp_visitor_room-1"
    assert storage_key(build_demo(app, room="room-2")) == "ganapp_visitor_room-2"


@pytest.mark.parametrize("host", ["127.0.0.1", "school.example"])
def test_the_landing_page_lists_each_room_with_its_page_and_teacher_view_in_both_languages(host):
    from ganapp.ui.rooms_page import landing_html

    page = landing_html([("room-1", 7861), ("room-2", 7862)], host)
    assert f'<a href="http://{host}:7861/">room-1</a>' in page
    assert f'<a href="http://{host}:7862/">room-2</a>' in page
    assert f'<a href="http://{host}:7862/teacher">' in page
    for lang in ("en", "zh"):
        for key in ("rooms_title", "rooms_intro"):
            assert t(lang, key).replace("'", "&#x27;") in page


def test_the_landing_page_shows_names_and_hosts_as_text():
    from ganapp.ui.rooms_page import landing_html

    page = landing_html([("<b>x</b>", 1)], '"><script>')
    assert "<b>x</b>" not in page and "<script>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
