"""The teacher's view on a 1366 × 768 projector page, in a real browser (issue 23, item 6): every card's caption reads
whole (step, it/s, score); 2D thumbnails are drawn at their size, lossless; "shown large" follows the run when
sorting moves it and clears when the student leaves; and the note answers "Pause all" and keeps the answer."""



from conftest import TEACHER_TOKEN, tiny_2d
from browsing import ARGS, CHROMIUM, NEEDS_CHROMIUM

pytestmark = NEEDS_CHROMIUM

NAMES = ["Bea", "Zoe", "Ann", "Eve", "Bartholomew Zacharias-Long", "Dan"]  # seats 1..6
CAPTIONS = "() => [...document.querySelectorAll('#teacher-gallery .caption-label')].map(e => e.innerText)"
# each caption whole: nothing cut off or scrolled away, inside its card, below the picture it describes
READABLE = """() => [...document.querySelectorAll('#teacher-gallery .thumbnail-item')].map(card => {
    const c = card.querySelector('.caption-label'), img = card.querySelector('img');
    const cr = c.getBoundingClientRect(), kr = card.getBoundingClientRect(), ir = img.getBoundingClientRect();
    return c.scrollWidth <= c.clientWidth + 1 && c.scrollHeight <= c.clientHeight + 1 && cr.left >= kr.left - 1
        && cr.right <= kr.right + 1 && cr.bottom <= kr.bottom + 1 && cr.top >= ir.bottom - 1; })"""


def _shown(teacher) -> str:
    return teacher.evaluate("() => document.querySelector('#teacher-shown textarea, #teacher-shown input').value")


def test_the_teacher_s_view_at_1366_by_768(served_teacher_app):
    from playwright.sync_api import sync_playwright

    url, demo = served_teacher_app
    registry = demo.ganapp.registry
    for i, name in enumerate(NAMES):
        registry.new_run(f"student-{i}", tiny_2d()).start()
        registry.visitor(f"student-{i}").state.name = name
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            teacher = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US").new_page()
            teacher.set_default_timeout(60_000)
            teacher.goto(url + "teacher")
            teacher.locator("#teacher-token input").fill(TEACHER_TOKEN)
            teacher.click("#teacher-sign-in")
            teacher.wait_for_function(
                f"() => [...document.querySelectorAll('#teacher-gallery img')].filter(i => i.naturalWidth > 0)"
                f".length === {len(NAMES)}")
            teacher.wait_for_function(f"() => ({CAPTIONS})().every(c => c.includes('modes'))")
            for caption in teacher.evaluate(CAPTIONS):
                assert "step" in caption and "it/s" in caption and "modes" in caption and "ring8" in caption
            assert all(teacher.evaluate(READABLE)), teacher.evaluate(CAPTIONS)
            pictures = teacher.evaluate("() => [...document.querySelectorAll('#teacher-gallery img')].map("
                                        "i => [i.src, i.naturalWidth, i.clientWidth])")
            assert all(src.endswith(".png") and shown >= natural == 128 for src, natural, shown in pictures), pictures

            # shown large follows the run, not the card's place (seats count on over the server's life: read them)
            head = {c.split("\n")[0].split(" · ", 1)[1]: c.split("\n")[0] for c in teacher.evaluate(CAPTIONS)}
            teacher.locator("#teacher-gallery .thumbnail-item").nth(0).click()  # Bea, seat 1
            teacher.wait_for_function("() => document.querySelector('#teacher-shown textarea, #teacher-shown input')"
                                      ".value.includes('Bea')")
            teacher.wait_for_function(f"() => ({CAPTIONS})()[0].includes('shown large')")
            box = teacher.locator("#teacher-sort input")
            box.click()
            box.fill("name")
            teacher.keyboard.press("Enter")
            teacher.wait_for_function(f"(ann) => ({CAPTIONS})()[0].startsWith(ann)", arg=head["Ann"])  # Bea: second
            marked = [c.split("\n")[0] for c in teacher.evaluate(CAPTIONS) if "shown large" in c]
            assert marked == [head["Bea"] + " ◀ shown large"] and "Bea" in _shown(teacher)
            assert teacher.evaluate("""() => { const cards = [...document.querySelectorAll(
                '#teacher-gallery .thumbnail-item')]; const colour = e => getComputedStyle(e).borderColor;
                return new Set(cards.map(colour)).size; }""") == 1  # no card highlighted by its place
            # the student shown large leaves: nothing is shown large, and no other card takes the mark
            registry.remove("student-0")
            teacher.wait_for_function(f"() => ({CAPTIONS})().length === {len(NAMES) - 1}")
            teacher.wait_for_function("() => document.querySelector('#teacher-shown textarea, #teacher-shown input')"
                                      ".value.includes('has left')")
            assert not any("shown large" in c for c in teacher.evaluate(CAPTIONS))

            # Pause all: the note answers, and a refresh of the class does not wipe the answer
            teacher.click("#teacher-pause-all")
            teacher.wait_for_function("() => document.querySelector('#teacher-note').innerText.includes('Paused 5')")
            teacher.wait_for_function(f"() => ({CAPTIONS})().every(c => c.includes('paused'))")
            assert "Paused 5 runs." in teacher.locator("#teacher-note").inner_text()
        finally:
            browser.close()
            for vid in registry.visitor_ids():
                registry.remove(vid)
