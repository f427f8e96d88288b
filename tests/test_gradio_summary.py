"""Gradio's queue summarises its events for its monitoring page once every 1,000 events, not after each one (a
class of 30 spent 22% of the web process on it), unless the host chose otherwise."""

import app as app_module


def _queue_of(monkeypatch, **env):
    monkeypatch.delenv("GRADIO_ANALYTICS_CACHE_FREQUENCY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    demo = app_module.create_demo(state_dir="off", worker=False)
    try:
        demo.queue()
        return demo._queue
    finally:
        demo.ganapp.registry.close(save=False)


def test_the_queue_summarises_its_events_once_every_thousand(monkeypatch):
    queue = _queue_of(monkeypatch)
    assert queue.ANAYLTICS_CACHE_FREQUENCY == app_module.GRADIO_SUMMARY_EVERY == 1000
    records = [{"function": "tick", "status": "success", "process_time": 0.01}] * 50
    queue.events_recorded = 999
    first = queue.compute_analytics_summary(records)
    assert first == {"functions": {}}  # 999 events since the last summary: the cached one, not rebuilt
    queue.events_recorded = 1000
    assert queue.compute_analytics_summary(records)["functions"]["tick"]["total_requests"] == 50


def test_a_host_s_own_frequency_is_kept(monkeypatch):
    assert _queue_of(monkeypatch, GRADIO_ANALYTICS_CACHE_FREQUENCY="5").ANAYLTICS_CACHE_FREQUENCY == 5
