"""On ZeroGPU the status line says the GPU time used (and left, once ZeroGPU said it) and what happens when it runs
out, in the reader's language; elsewhere it says nothing of ZeroGPU."""

from ganapp.engine.zerogpu import ChunkedEngine
from ganapp.host.registry import Registry
from ganapp.ui.handlers import GanApp

from conftest import tiny_2d, wait_until

QUOTA_MESSAGE = "You have exceeded your free GPU quota (15s requested vs. 72s left). Try again in 0:04:12"


def _out_of_quota(duration_s):
    def decorate(fn):
        def call(*args):
            raise RuntimeError(QUOTA_MESSAGE)
        return call
    return decorate


def test_the_status_line_tells_the_gpu_time_and_what_its_end_means_as_the_host_chose(tmp_path):
    # a unit test on a private in-process registry: the ChunkedEngine is what app.py builds on ZeroGPU
    engine = ChunkedEngine(chunk_s=0.05, device="cpu", on_empty="pause", decorate=_out_of_quota)
    registry = Registry(idle_timeout_s=60, engine=engine)
    app = GanApp(registry, tmp_path)
    try:
        registry.new_run("z", tiny_2d())
        visitor = registry.visitor("z")
        before = {lang: app.live.status_text(lang, visitor, visitor.run.status()) for lang in ("en", "zh")}
        assert "GPU: ZeroGPU, a few seconds at a time · 0:00 used" in before["en"]
        assert "When this server's GPU time runs out, the run pauses" in before["en"]
        assert "GPU：ZeroGPU，每次几秒 · 已用 0:00" in before["zh"] and "运行会暂停" in before["zh"]
        visitor.run.start()
        assert wait_until(lambda: engine.gpu_status().empty and visitor.run.state == "paused")
        after = {lang: app.live.status_text(lang, visitor, visitor.run.status()) for lang in ("en", "zh")}
        assert "· 1:12 left" in after["en"] and "The GPU time has run out, so the run is paused" in after["en"]
        assert "剩余 1:12" in after["zh"] and "GPU 时间已用完，运行已暂停" in after["zh"]
    finally:
        registry.close(save=False)


def test_off_zerogpu_the_status_line_says_nothing_of_it(local_app):
    local_app.registry.new_run("n", tiny_2d())
    visitor = local_app.registry.visitor("n")
    assert "ZeroGPU" not in local_app.live.status_text("en", visitor, visitor.run.status())
