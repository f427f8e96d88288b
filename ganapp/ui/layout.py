"""The page: its header, the Train and Explore tabs (each built and wired in :mod:`ganapp.ui.train_page` and
:mod:`ganapp.ui.explore_page`), the language switch, and a page attaching to its visitor. Handlers live in
:mod:`ganapp.ui.handlers`; strings in :mod:`ganapp.ui.i18n`."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..gan.config import GANConfig
from ..run.lessons import LESSONS
from .blocks import GanBlocks
from .common import DETECT_LANG_JS, FAST
from .explore_page import build_explore_tab, wire_explore
from .handlers import CONTROL_FIELDS, GanApp
from .i18n import LANGS, t
from .image_cache import install as install_image_cache
from .lessons import build_guide_page, lesson_markdown
from .links import READ_LINK_JS
from .plots import LAYERS
from .settings import SettingsHandlers
from .teacher import TEACHER_CSS, build_teacher_page
from .train_page import build_train_tab, wire_train

CSS = """
.pixelated img { image-rendering: pixelated; }
/* the image starts below its label, which otherwise covers the top-left sample of a grid that fills the width */
.pixelated .image-container { padding-top: 30px; }
#ganapp-status p { margin: 0.2em 0; }
/* the model diagram (ganapp.ui.diagram) without the HTML block's padding: at 1366 × 768 the curves stay on screen */
#model-diagram .html-container { padding: 0 !important; }
/* at 1366 × 768, a control and what it changes stay on screen together: scrolled down to the 2D view, the run
   buttons stay at the top of the Train tab's settings column; scrolled down the Explore tab's z and GANSpace
   sliders, G(z) stays beside them */
.gradio-container { overflow: clip !important; }  /* clips as "hidden" does, but lets a child stick to the window */
#run-controls { position: sticky; top: 0; z-index: 100; background: var(--body-background-fill); padding-bottom: 4px; }
#explore-view { position: sticky; top: 0; align-self: flex-start; }
/* the teacher's page (a second page, when the host set a token) is reached by its URL: no navigation bar, whose
   gr.Navbar(visible=False) Gradio 6.31 does not honour */
nav:has(> a[data-sveltekit-reload]) { display: none; }
/* a phone (390 × 844): one column in which Start's answer, the status and the curves, comes right below the run
   buttons, before the settings (they came 2,100 px down, below every setting); the buttons do not stick there (a
   third of the screen), the header is smaller, and the formula fits the width or scrolls, never clipped */
@media (max-width: 720px) {
  #train-row { flex-direction: column !important; flex-wrap: nowrap !important; }
  #settings-col, #results-col { display: contents !important; }
  #settings-col > * { order: 5; flex-shrink: 0; }
  #results-col > * { order: 6; flex-shrink: 0; }
  #run-controls { order: 1 !important; position: static !important; }
  #ganapp-status { order: 2 !important; }
  #curves-row { order: 3 !important; }
  #formula { order: 4 !important; }
  #title h1 { font-size: 1.4em; margin: 0; }
  #subtitle p { font-size: 0.9em; margin: 0; }
  #formula .katex-display { overflow-x: auto; overflow-y: hidden; }  /* a longer one (R1's term) scrolls */
  #formula .katex { font-size: 11px !important; }  /* Gradio sets 16 px: the objectives fit 326 px */
}
""" + TEACHER_CSS

# Gradio's own words (the upload boxes' "Drop File Here", the footer, a toast's header ...) in the page's language.
# Gradio 6 translates them with svelte-i18n, in the browser's language at load or the one its Settings panel picks:
# that panel calls changeLocale of Gradio's core module, which is asked for here by its URL (a module is one instance
# per URL, so this is the page's own i18n store). Without that module (another Gradio), the words stay as they are.
GRADIO_LOCALE_JS = """(lang) => {
  const locale = lang === 'zh' ? 'zh-CN' : 'en';
  const core = /\\/core-[\\w-]+\\.js$/;
  const url = performance.getEntriesByType('resource').map((e) => e.name).find((n) => core.test(n))
    || Array.from(document.querySelectorAll('link[href], script[src]')).map((e) => e.href || e.src).find(
      (n) => core.test(n));
  if (url) import(url).then((m) => m.changeLocale && m.changeLocale(locale)).catch(() => {});
}"""


def build_demo(app: GanApp, poll_every_s: float = 0.5, default: GANConfig | None = None,
               analytics_enabled: bool = False, room: str | None = None) -> gr.Blocks:
    """The whole app as a ``gr.Blocks``, wired to ``app``'s handlers. ``demo.ganapp`` is ``app`` (for tests). The
    controls start at ``default``, else at the recommended settings of the default dataset (what choosing it in the
    dataset menu fills in). Gradio's usage analytics stay off unless ``analytics_enabled``. ``room``: the name of
    this server's room (:func:`ganapp.host.rooms.room_name`), shown in the header and on the teacher's page, or
    None."""
    default = default or GANConfig.default_for(GANConfig().dataset)
    labeled: list[tuple[Any, dict[str, str]]] = []  # (component, {what to relabel (label, value, info): string key})

    def tr(component, key: str | dict[str, str], attr: str = "label"):
        labeled.append((component, key if isinstance(key, dict) else {attr: key}))
        return component

    en = lambda key: t("en", key)  # noqa: E731
    shipped_names = app.explore.shipped_checkpoints()

    def init_choices(code: str) -> list[tuple[str, str]]:
        return [(t(code, "init_scratch_choice"), "scratch"), *((n, n) for n in shipped_names),
                (t(code, "init_uploaded_choice"), "uploaded")]

    install_image_cache()  # many students' identical pictures must not be rewritten while one is downloaded
    with GanBlocks(title="ganapp", delete_cache=(3600, 3600), analytics_enabled=analytics_enabled) as demo:
        with gr.Row(equal_height=True):
            with gr.Column(scale=4):
                tr(gr.Markdown(en("title"), elem_id="title"), "title", "value")
                tr(gr.Markdown(en("subtitle"), elem_id="subtitle"), "subtitle", "value")
                # a room's name is a slug (ganapp.host.rooms.ROOM_NAME): plain text, nothing Markdown would read
                room_label = gr.Markdown(t("en", "room_name", room=room), elem_id="room-name") if room else None
            your_name = tr(gr.Textbox(label=en("your_name"), max_lines=1, max_length=32, scale=1, min_width=200,
                                      elem_id="your-name"), "your_name")
            lang = gr.Radio([(name, code) for code, name in LANGS.items()], value="en", label="Language / 语言",
                            scale=1, min_width=160)

        with gr.Tabs():
            train = build_train_tab(app, default, tr, en, init_choices)
            explore = build_explore_tab(app, tr, en)

        timer = gr.Timer(poll_every_s)
        frame = gr.Number(0, visible="hidden")  # grows when there is something new to draw (LiveHandlers.tick)
        # the visitor's signed token, kept in localStorage so that a reload or a second tab finds the same runs;
        # a fixed storage key and a secret kept across restarts let it outlive the server too; rooms behind one
        # proxy share the browser's storage (one origin), so each keeps its token under a key of its own
        visitor_token = gr.BrowserState(None, storage_key=f"ganapp_visitor_{room}" if room else "ganapp_visitor",
                                        secret=app.browser_secret())
        lesson_no = gr.Number(0, visible="hidden")  # the teacher's latest lesson for this visitor (LiveHandlers.tick)

        wire_train(app, train, lang, timer, frame, lesson_no, poll_every_s)
        seed_event = wire_explore(app, explore, lang)
        controls = [train.by_field[f] for f in CONTROL_FIELDS]
        loss, r1_gamma = train.by_field["loss"], train.by_field["r1_gamma"]
        your_name.submit(app.set_name, [lang, your_name], [your_name], api_name="set_name", **FAST)
        your_name.blur(app.set_name, [lang, your_name], [your_name], api_visibility="private", **FAST)

        def relabel(code: str) -> list:
            updates = []
            for _, keys in labeled:
                texts = {attr: t(code, key) for attr, key in keys.items()}
                if keys.get("value") == "z_sliders":
                    texts["value"] = f"**{texts['value']}**"
                updates.append(gr.update(**texts))
            updates.append(gr.update(label=t(code, "source"),
                                     choices=[(t(code, "source_training"), "training"),
                                              (t(code, "source_checkpoint"), "checkpoint")]))
            updates += [gr.update(label=t(code, "tab_train")), gr.update(label=t(code, "tab_explore"))]
            updates += [gr.update(label=t(code, "layers"), choices=[(t(code, k), k) for k in LAYERS]),
                        gr.update(label=t(code, "lesson_pick"), choices=[(t(code, f"preset_{k}"), k) for k in LESSONS]),
                        gr.update(label=t(code, "init"), choices=init_choices(code)),
                        gr.update(label=t(code, "timelapse_source"),
                                  choices=[(t(code, "timelapse_run"), "run"), (t(code, "timelapse_files"), "files")])]
            return updates

        def relabel_all(code: str, loss_name: str, gamma: Any) -> list:
            return [*relabel(code), SettingsHandlers.formula(code, loss_name, gamma)]

        lang.change(relabel_all, [lang, loss, r1_gamma],
                    [*(c for c, _ in labeled), explore.source, train.tab_train, explore.tab_explore, train.layers,
                     train.lesson, train.init, explore.tl_source, train.formula],
                    api_visibility="private", **FAST)
        # what handlers wrote in the old language: the checkpoint note, and the Explore tab's note and 2D legend
        lang.change(app.explore.checkpoint_note, [lang], [explore.ckpt_note], api_visibility="private", **FAST)
        lang.change(lesson_markdown, [lang, train.lesson], [train.lesson_text], api_visibility="private", **FAST)
        lang.change(app.live.diagram, [lang], [train.diagram], api_visibility="private", **FAST)
        if room_label is not None:
            lang.change(lambda code: t(code, "room_name", room=room), [lang], [room_label], api_visibility="private",
                        **FAST)
        lang.change(api_visibility="private", **seed_event)
        lang.change(None, [lang], None, js=GRADIO_LOCALE_JS, api_visibility="private", show_progress="hidden")
        # the datasets this server can load now (files may have been added since the page was built)
        demo.load(app.settings.dataset_menu, None, [train.by_field["dataset"]], api_visibility="private", **FAST)
        demo.load(None, None, [lang], js=DETECT_LANG_JS).then(
            app.attach, [lang, visitor_token, *controls[:-2]],
            [visitor_token, *controls[:-2], train.slow_motion, explore.ckpt_note, explore.source, train.compare_note,
             your_name],
            api_name="attach_page", api_visibility="private", **FAST).then(
            app.links.open_link, [lang, train.link_query, *controls[:-2]],  # the address's setup (ganapp.ui.links)
            [lang, train.link_query, *controls[:-2], train.lesson, train.lesson_text, train.slow_motion,
             train.run_minutes, train.link_note], js=READ_LINK_JS, api_visibility="private", **FAST)
        gr.api(app.attach_api, api_name="attach", concurrency_limit=None)
        demo.unload(app.unload)

    build_guide_page(demo)
    if app.classroom is not None:  # only with the host's teacher token: otherwise no such page or endpoint exists
        build_teacher_page(demo, app, app.classroom, room=room)
    demo.ganapp = app
    return demo
