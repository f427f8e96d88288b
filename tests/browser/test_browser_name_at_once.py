"""In a real browser: a student types their name and presses Enter the moment the page shows, before the page has
attached to its visitor, then presses Start; the teacher sees that name, and the name box keeps it (issue 23,
item 7: 2 of 3 such students showed as "Student 9/10")."""

from conftest import wait_until
from browsing import NEEDS_CHROMIUM, chromium, open_page

pytestmark = NEEDS_CHROMIUM

NAME = "Typed at once"


def test_a_name_typed_as_the_page_opens_reaches_the_teacher_and_stays_in_its_box(served_teacher_app, monkeypatch):
    url, demo = served_teacher_app
    registry, classroom = demo.ganapp.registry, demo.ganapp.classroom
    named = lambda: [v for _, v in registry.visitors() if v.state.name == NAME]  # noqa: E731
    # the name's request goes on only once the page's attach has found its visitor: the order in which the name
    # came to be lost (attach answered the name box with the "" it read, and the box sent "" when it lost focus)
    import ganapp.ui.handlers as handlers

    attached = []
    attach, check_name = registry.attach, handlers.check_name

    def attach_then_note(*args, **kwargs):
        out = attach(*args, **kwargs)
        attached.append(out)
        return out

    def check_after_attach(name):
        wait_until(lambda: bool(attached), 20)
        return check_name(name)

    monkeypatch.setattr(registry, "attach", attach_then_note)
    monkeypatch.setattr(handlers, "check_name", check_after_attach)
    try:
        with chromium() as browser:
            page = open_page(browser, url, ready=None)
            name_box = page.locator("#your-name input, #your-name textarea")
            name_box.fill(NAME)  # at once: the page is still attaching
            name_box.press("Enter")
            page.wait_for_function("() => localStorage.getItem('ganapp_visitor') !== null")  # it has attached
            assert wait_until(lambda: len(named()) == 1, 20)
            page.click("#start")  # the name box loses focus, and sends what it holds
            page.wait_for_function("() => document.querySelector('#ganapp-status').innerText.includes('running')")
            assert name_box.input_value() == NAME
            assert wait_until(lambda: [c.label() for c in classroom.cards()] == [NAME], 20)
            assert [c.label() for c in classroom.cards()] == [NAME]
    finally:
        for vid in registry.visitor_ids():
            registry.remove(vid)
