"""The handler and page tests train as production does: in the training worker process, through the run protocol's
worker client (issue 24: they used the in-process engine while production ran the worker)."""

from ganapp.service.protocol import RunHandle
from ganapp.service.remote import WorkerRun

from conftest import CONTROLS, req, wait_until


def test_a_page_s_run_trains_in_the_worker_and_its_tick_reads_it_in_one_call(app, worker):
    app.train.start(req("w"), "en", 0, *CONTROLS)
    run = app.registry.visitor("w").run
    assert isinstance(run, WorkerRun) and isinstance(run, RunHandle) and not run.lost
    assert worker.pid is not None and worker.server().held(run._sid)  # the worker holds it
    assert wait_until(lambda: run.status().step > 3, 20)
    before = sum(worker.calls.values())
    app.live.tick(req("w"), "en")
    assert sum(worker.calls.values()) - before == 1  # a tick: one round trip to the worker
