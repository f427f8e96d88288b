"""A room's name in a real browser (issue 25, section 2): the student's page and the teacher's view show which room
they are, in English and in 简体中文 once the reader picks it."""

from conftest import TEACHER_TOKEN, free_port
from browsing import NEEDS_CHROMIUM, chromium, open_page

pytestmark = NEEDS_CHROMIUM

ROOM = "physics-101"


def _text(elem_id: str) -> str:
    return f"() => (document.querySelector('#{elem_id}') || {{innerText: ''}}).innerText.trim()"


def test_the_page_and_the_teacher_s_view_name_their_room_in_both_languages(tmp_path):
    import app as app_module
    from ganapp.ui.layout import CSS

    demo = app_module.create_demo(idle_timeout_s=600, state_dir=tmp_path, teacher_token=TEACHER_TOKEN, room=ROOM,
                                  worker=False, download=False)
    port = free_port()
    demo.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port,
                                                   prevent_thread_lock=True, quiet=True, css=CSS)
    url = f"http://127.0.0.1:{port}/"
    try:
        with chromium() as browser:
            page = open_page(browser, url, ready=None)
            page.wait_for_function(f"() => ({_text('room-name')})() === 'Room: {ROOM}'")
            assert page.locator("#room-name").is_visible()
            page.get_by_label("简体中文").check()
            page.wait_for_function(f"() => ({_text('room-name')})() === '教室：{ROOM}'")

            teacher = open_page(browser, url + "teacher", locale="zh-CN", ready=None)
            teacher.wait_for_function(f"() => ({_text('teacher-room')})() === '教室：{ROOM}'")
            teacher.get_by_label("English").check()
            teacher.wait_for_function(f"() => ({_text('teacher-room')})() === 'Room: {ROOM}'")
    finally:
        demo.ganapp.registry.close(save=False)
        demo.close()
