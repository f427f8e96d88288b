"""Training on a Ray cluster of a head and two worker nodes (ray.cluster_utils.Cluster, on this machine): runs
spread over the nodes' engines, same-shape runs share a stack, and when a node dies every run it trained comes back
on the other from its autosave, with its history, while a student's page keeps answering."""

from __future__ import annotations

import pytest

from conftest import req, tiny_2d, wait_until
from ganapp.run.run import ERROR, PAUSED, RUNNING
from ganapp.service.protocol import RUN_MOVED
from ganapp.service.ray_store import RunStore

pytestmark = pytest.mark.ray

FAST = {"publish_every_s": 0.05, "grid_every_s": 0.05}
AUTOSAVE_S = 0.5


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head without CPUs (it trains nothing) and two worker nodes of 1 CPU each, with a RayService on them whose
    engines autosave every AUTOSAVE_S: (cluster, service, the worker nodes, the store)."""
    import ray
    from ray.cluster_utils import Cluster

    from ganapp.service.ray_service import RayService

    # a dead node is noticed within seconds (by default, 30 s)
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "include_dashboard": False,
        "_system_config": {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500,
                           "health_check_failure_threshold": 5, "health_check_timeout_ms": 1000}})
    nodes = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    store = str(tmp_path_factory.mktemp("engines"))
    service = RayService(store_url=store, autosave_every_s=AUTOSAVE_S)
    service.warm()
    yield cluster, service, nodes, RunStore(store)
    service.close()
    ray.shutdown()
    cluster.shutdown()


def _engine_of(service, run):
    """The name of the engine that holds ``run`` now."""
    generation = run._at()[0]
    return next(name for name, e in service._engines.items() if e.generation == generation)


def _stacks(service):
    """Each live engine's stack sizes, by its name."""
    import ray

    return {name: ray.get(actor.load.remote())[2] for name, actor in service.engines().items()}


def test_runs_spread_over_the_nodes_and_same_shape_runs_share_a_stack(cluster):
    _, service, _, _ = cluster
    assert len(service.engines()) == 2  # one per worker node; the head has no CPU
    a1, a2 = service.new_run(tiny_2d(), **FAST), service.new_run(tiny_2d(seed=2), **FAST)
    b1, b2 = service.new_run(tiny_2d(g_width=16), **FAST), service.new_run(tiny_2d(g_width=16, seed=2), **FAST)
    try:
        assert _engine_of(service, a1) == _engine_of(service, a2)  # the second joins its shape
        assert _engine_of(service, b1) == _engine_of(service, b2) != _engine_of(service, a1)  # a new shape: the
        # least-loaded engine, the other node
        for run in (a1, a2, b1, b2):
            run.start()
        assert wait_until(lambda: sorted(map(sorted, _stacks(service).values())) == [[2], [2]], 120)
    finally:
        for run in (a1, a2, b1, b2):
            run.stop()


def test_when_a_node_dies_every_run_goes_on_on_the_other_from_its_autosave_and_a_page_keeps_answering(
        cluster, tmp_path):
    from ganapp.host.registry import Registry
    from ganapp.ui.handlers import GanApp

    ray_cluster, service, nodes, store = cluster
    registry = Registry(engine=service, owns_engine=False, idle_timeout_s=60)
    app = GanApp(registry, tmp_path)
    try:
        registry.new_run("student", tiny_2d())  # a student's page, through the registry and its handlers
        runs = [registry.visitor("student").run]
        runs += [service.new_run(tiny_2d(g_width=8 if i % 2 else 16, seed=i), **FAST) for i in range(9)]
        for run in runs:
            run.start()
        paused = runs[3]
        assert wait_until(lambda: all(r.state == RUNNING and r.step_count > 20 for r in runs), 180)
        paused.pause()
        assert wait_until(lambda: paused.state == PAUSED, 60)
        ids = [service._runs[r][0] for r in runs]

        def saved_step(run_id):
            saved = store.read(run_id)
            return saved[1]["trainer"]["step_count"] if saved else -1

        assert wait_until(lambda: all(saved_step(i) > 20 for i in ids), 120)  # every run autosaved while training
        assert wait_until(lambda: store.read(ids[3])[1]["session"]["state"] == PAUSED, 60)
        by_node = {n.node_id: n for n in nodes}
        dying = service._engines[_engine_of(service, runs[0])].node
        moving = [r for r in runs if service._engines[_engine_of(service, r)].node == dying]
        assert 0 < len(moving) < len(runs)  # the runs were spread over both nodes
        before = {id(r): saved_step(service._runs[r][0]) for r in moving}
        ray_cluster.remove_node(by_node[dying], allow_graceful=False)

        status = app.live.tick(req("student"), "en").status  # the page answers while its engine is gone
        assert isinstance(status, str)
        # every run trains again, on the other node, from its autosave (no further back), the paused one paused (an
        # actor may answer for a moment after its node's raylet was killed: its runs move once it stops answering)
        other = {n for n in by_node if n != dying}
        assert wait_until(lambda: all(r.state == (PAUSED if r is paused else RUNNING) for r in runs) and
                          {service._engines[_engine_of(service, r)].node for r in runs} == other, 180)
        assert not any(r.lost for r in runs)
        for run in moving:
            assert run.step_count >= before[id(run)]
            assert run.history()["step"][0] <= 1  # its history, from its first steps
        assert wait_until(lambda: all(r.step_count > before[id(r)] + 5 for r in moving if r is not paused), 120)
        moved = [r for r in moving if r.status().message == RUN_MOVED]
        assert moved == moving  # each says what happened, until its next command
        # the student's run was on the node that died: their page says what happened, in their language
        assert "another one from its last autosave" in app.live.tick(req("student"), "en").status
        assert "另一台机器" in app.live.tick(req("student"), "zh").status
        assert all(r.status().state != ERROR for r in runs)
    finally:
        registry.close(save=False)
        for run in runs:
            run.stop()
