"""A visitor's own points in a real browser: a small CSV uploaded on the Train tab becomes the drawn dataset and the
data view shows those points; a bad CSV is refused with a message in the page's language and changes nothing. The
MLP's layer controls show for an MLP and hide for a DCGAN."""


from browsing import NEEDS_CHROMIUM, chromium, open_page, pick
from conftest import wait_until

pytestmark = NEEDS_CHROMIUM

# the real points the data view plots, as [x, y] pairs; null before it plots any
REAL_POINTS_JS = """() => { const el = document.querySelector('#scatter .js-plotly-plot');
    const real = el && el._fullData && el._fullData.find(t => t.name === 'real' && t.x && t.x.length);
    return real ? Array.from(real.x, (x, i) => [x, real.y[i]]) : null; }"""
TOAST_JS = "(text) => [...document.querySelectorAll('.toast-body')].some(e => e.innerText.includes(text))"
SHOWN_JS = "(id) => { const e = document.querySelector('#' + id); return !!e && e.offsetParent !== null; }"


def test_an_uploaded_csv_is_shown_and_trained_on_and_a_bad_one_is_refused(served_app, tmp_path):
    url, demo = served_app
    registry = demo.ganapp.registry
    good, bad = tmp_path / "two_clusters.csv", tmp_path / "typo.csv"
    good.write_text("x,y\n0,0\n10,10\n0,0\n10,10\n")  # scaled into the view: (-1.6, -1.6) and (1.6, 1.6)
    bad.write_text("x,y\n0,0\n1,one\n")
    with chromium() as browser:
        page = open_page(browser, url, 1400, 1500)
        page.get_by_text("Draw your own distribution", exact=False).first.click()
        page.wait_for_selector("#points-file input[type=file]", state="attached")
        page.get_by_text("Advanced", exact=True).first.click()  # the accordion that holds the layer controls
        page.wait_for_function("() => document.querySelector('#model input').value === 'dcgan'")
        page.wait_for_function(SHOWN_JS, arg="optimizer")
        assert not page.evaluate(SHOWN_JS, "g-hidden")  # the default model is a DCGAN: no MLP layers to edit
        page.locator("#points-file input[type=file]").set_input_files(str(good))
        page.wait_for_function("() => document.querySelector('#drawing-note').innerText.includes('4 points')")
        page.wait_for_function("() => document.querySelector('#dataset input').value === 'drawn'")
        page.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")
        page.wait_for_function(SHOWN_JS, arg="g-hidden")  # an MLP: its layers and activations are offered
        page.wait_for_function(SHOWN_JS, arg="d-activation")
        page.click("#start")
        points = page.wait_for_function(REAL_POINTS_JS, timeout=60_000).json_value()
        assert len(points) > 10
        for x, y in points:  # each real point is one of the file's two, jittered
            assert min(abs(x + 1.6) + abs(y + 1.6), abs(x - 1.6) + abs(y - 1.6)) < 0.3, (x, y)
        (visitor,) = [v for _, v in registry.visitors() if v.run is not None]
        run, drawn_path = visitor.run, visitor.state.drawn_path
        assert run.config.dataset == "drawn" and run.config.data_path == drawn_path
        page.wait_for_selector("#points-file input[type=file]", state="attached")  # emptied for another file
        page.locator("#points-file input[type=file]").set_input_files(str(bad))
        page.wait_for_function(TOAST_JS, arg="not a number")
        (toast,) = [t for t in page.locator(".toast-body").all_inner_texts() if "not a number" in t]
        assert "Nothing was changed" in toast and "/tmp" not in toast, toast
        assert page.locator("#dataset input").input_value() == "drawn"
        assert visitor.state.drawn_path == drawn_path and visitor.run is run
        step = run.snapshot(None).step
        assert wait_until(lambda: run.state == "running" and run.snapshot(None).step > step, 30)
        pick(page, "dataset", "mnist_10k")  # its defaults: a DCGAN, whose layers are its own
        page.wait_for_function("() => document.querySelector('#model input').value === 'dcgan'")
        page.wait_for_function(f"() => !({SHOWN_JS})('g-hidden')")


def test_a_bad_csv_is_refused_in_chinese(served_app, tmp_path):
    url, _ = served_app
    bad = tmp_path / "three.csv"
    bad.write_text("1,2,3\n4,5,6\n")
    with chromium() as browser:
        page = open_page(browser, url, 1400, 1500)
        page.get_by_label("简体中文").check()
        page.wait_for_function("() => document.querySelector('#start').innerText.trim() === '开始'")
        page.get_by_text("画出你自己的分布", exact=False).first.click()
        page.wait_for_selector("#points-file input[type=file]", state="attached")
        page.locator("#points-file input[type=file]").set_input_files(str(bad))
        page.wait_for_function(TOAST_JS, arg="这个文件有 3 列")
        (toast,) = [t for t in page.locator(".toast-body").all_inner_texts() if "这个文件有 3 列" in t]
        assert "没有做任何改动" in toast, toast
