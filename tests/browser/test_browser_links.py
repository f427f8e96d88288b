"""In a real browser (issue 26, section 1): the page's address follows its setup; the address opened in a new
browser shows the same values, "Copy link" hands it on, and ``lock=`` disables the controls it names, whose change
the server refuses even when the page is forced to send one."""

from browsing import ARGS, CHROMIUM, NEEDS_CHROMIUM, pick

from test_browser_page import page  # noqa: F401 (the page fixture)

pytestmark = NEEDS_CHROMIUM

VALUE_IS = "([id, v]) => { const e = document.querySelector(`#${id} input`); return !!e && e.value === v; }"


def _fresh(browser, url: str):
    """The address opened in a new browser context (no shared storage: another visitor), once its controls are
    built."""
    context = browser.new_context(viewport={"width": 1400, "height": 1500}, locale="en-US")
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(url)
    tab.wait_for_selector("#start")
    return tab


def test_three_controls_changed_come_back_from_the_address_and_lock_disables_them(page):  # noqa: F811
    pick(page, "dataset", "ring8")
    page.wait_for_function(VALUE_IS, arg=["model", "mlp"])  # ring8's defaults filled in
    pick(page, "loss", "hinge")
    seed = page.locator("#seed input")
    seed.click()
    seed.fill("7")
    seed.press("Tab")
    page.wait_for_function("() => ['dataset=ring8', 'loss=hinge', 'seed=7'].every((p) => location.search.includes(p))")
    url = page.url
    page.click("#copy-link")  # the address, shown to copy (and in the clipboard where the browser allows it)
    page.wait_for_function("(u) => { const e = document.querySelector('#link-box input, #link-box textarea');"
                           " return !!e && e.value === u; }", arg=url)

    browser = page.context.browser
    again = _fresh(browser, url)
    for elem_id, expected in (("dataset", "ring8"), ("loss", "hinge"), ("seed", "7")):
        again.wait_for_function(VALUE_IS, arg=[elem_id, expected])
    assert not again.locator("#loss input").is_disabled()

    assert "lang=en" in url
    locked = _fresh(browser, url.replace("lang=en", "lang=zh") + "&lock=dataset,loss,seed")  # and in Chinese
    locked.wait_for_function(VALUE_IS, arg=["seed", "7"])
    for elem_id in ("dataset", "loss", "seed"):
        locked.wait_for_function("(id) => document.querySelector(`#${id} input`).disabled", arg=elem_id)
    assert not locked.locator("#lr-g input").is_disabled()
    locked.wait_for_function("() => document.querySelector('#link-note').innerText.includes("
                             "'本页链接锁定了：数据集、损失函数、随机种子')")
    locked.wait_for_function("() => document.querySelector('#start').innerText.includes('开始')")  # the page's words
    assert "lock=dataset,loss,seed" in locked.url  # the address keeps the lock as the page goes on
    # a page forced to send a locked control's change (the disabled box enabled by hand): the server refuses it
    box = locked.locator("#seed input")
    box.evaluate("(e) => { e.disabled = false; e.value = '8'; e.dispatchEvent(new Event('input', {bubbles: true}));"
                 " e.dispatchEvent(new Event('change', {bubbles: true})); }")
    locked.wait_for_function("() => [...document.querySelectorAll('.toast-body, [data-testid=\"toast-body\"]')]"
                             ".some((t) => t.innerText.includes('随机种子 在本课中锁定为 7'))")
