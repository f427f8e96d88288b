"""ZeroGPU's chunked training, on the CPU: the ``spaces`` decorator is replaced by one that runs the chunk on a copy
of the trainer made by pickling it, as ZeroGPU runs the call in a forked process (its arguments pickled across)
whose changes are lost, so that only what a chunk returns can reach the run."""

import pickle
import threading

import pytest
import torch

from ganapp.engine.zerogpu import ChunkedEngine, on_empty_choice, quota_error, train_chunk, zerogpu_enabled
from ganapp.gan.trainer import Trainer
from ganapp.run.run import PAUSED, Run

from conftest import tiny_2d, tiny_image, wait_until

QUOTA_MESSAGE = "You have exceeded your free GPU quota (15s requested vs. 12s left). Try again in 0:04:12"


def copied(trainer: Trainer) -> Trainer:
    """The trainer as a chunk in ZeroGPU's fork sees it: pickled across, a copy of its own."""
    return pickle.loads(pickle.dumps(trainer))


def forked(duration_s):
    """What ZeroGPU's decorator does to a chunk, on the CPU: the function runs on a copy of its trainer."""
    def decorate(fn):
        def call(trainer, *args):
            return fn(copied(trainer), *args)
        return call
    return decorate


def _weights(t: Trainer) -> list[torch.Tensor]:
    out = [p.detach() for p in [*t.G.parameters(), *t.D.parameters()]]
    for opt in (t.opt_g, t.opt_d):
        for st in opt.state.values():
            out += [st["exp_avg"], st["exp_avg_sq"], torch.as_tensor(float(st["step"]))]
    return out


def _assert_identical(a: Trainer, b: Trainer) -> None:
    assert a.step_count == b.step_count and a.d_updates == b.d_updates
    for x, y in zip(_weights(a), _weights(b), strict=True):
        assert torch.equal(x, y)


@pytest.mark.parametrize("config", [tiny_2d(seed=3), tiny_image(seed=3)], ids=["ring8", "mnist_dcgan"])
@pytest.mark.parametrize("fork", [False, True], ids=["in_process", "forked"])
def test_chunked_and_unchunked_training_give_bitwise_identical_weights(config, fork):
    alone, chunked = Trainer(config), Trainer(config)
    rows_alone = torch.stack([alone.train_step() for _ in range(7)])
    rows = []
    for steps in (3, 1, 3):
        result = train_chunk(copied(chunked) if fork else chunked, "cpu", 60.0, steps)
        chunked.load_state(result.tensors, result.meta)  # what the engine does with a chunk's result
        rows.append(result.rows)
    assert torch.equal(torch.cat(rows), rows_alone)
    _assert_identical(alone, chunked)
    assert torch.equal(alone.train_step(), chunked.train_step())  # the data stream and z generator go on alike


def test_a_run_trained_in_forked_chunks_ends_where_its_lone_steps_would():
    engine = ChunkedEngine(chunk_s=0.05, device="cpu", decorate=forked)
    run = Run(tiny_2d(seed=4), engine=engine)
    try:
        run.step(40)  # several chunks, each a copy, each at most the steps still asked for
        assert wait_until(lambda: run.state == PAUSED and run.status().step == 40)
        alone = Trainer(tiny_2d(seed=4))
        for _ in range(40):
            alone.train_step()
        with engine.lock:
            _assert_identical(alone, run.trainer)
        assert len(run.history()["d_loss"]) == 40  # every chunk's rows reached the run's history
        assert engine.gpu_status().used_s > 0
    finally:
        engine.close()


def test_pause_takes_effect_at_the_next_chunk_boundary():
    entered, release, calls, steps = threading.Event(), threading.Event(), [], []

    def held(duration_s):
        def decorate(fn):
            def call(trainer, *args):
                calls.append(1)
                result = fn(copied(trainer), *args)
                steps.append(len(result.rows))
                entered.set()
                release.wait(30)
                return result
            return call
        return decorate

    engine = ChunkedEngine(chunk_s=0.05, device="cpu", decorate=held)
    run = Run(tiny_2d(seed=5), engine=engine)
    try:
        run.start()
        assert entered.wait(30)
        run.pause()  # mid-chunk: the chunk runs to its end, and its steps count
        release.set()
        assert wait_until(lambda: run.status().step == steps[0] and run.state == PAUSED)
        with engine.lock:  # no chunk in progress: none started after the pause
            assert len(calls) == 1 and run.trainer.step_count == steps[0]
    finally:
        release.set()
        engine.close()


def _out_of_quota(duration_s):
    def decorate(fn):
        def call(*args):
            raise RuntimeError(QUOTA_MESSAGE)  # spaces raises a gr.Error with this text
        return call
    return decorate


def test_when_the_quota_is_spent_the_run_goes_on_on_the_cpu_or_pauses_as_the_host_chose():
    engine = ChunkedEngine(chunk_s=0.05, device="cpu", on_empty="cpu", decorate=_out_of_quota)
    run = Run(tiny_2d(seed=6), engine=engine)
    try:
        run.step(30)
        assert wait_until(lambda: run.state == PAUSED and run.status().step == 30)
        assert engine.gpu_status() == (0.0, 12.0, True, "cpu")
    finally:
        engine.close()
    engine = ChunkedEngine(chunk_s=0.05, device="cpu", on_empty="pause", decorate=_out_of_quota)
    run = Run(tiny_2d(seed=6), engine=engine)
    try:
        run.start()
        assert wait_until(lambda: run.state == PAUSED and engine.gpu_status().empty)
        with engine.lock:
            assert run.trainer.step_count == 0
        assert engine.gpu_status().left_s == 12.0
    finally:
        engine.close()


def test_zerogpu_settings_and_the_quota_message():
    assert zerogpu_enabled({"GANAPP_ZEROGPU": "1"}) and zerogpu_enabled({"SPACES_ZERO_GPU": "true"})
    assert not zerogpu_enabled({}) and not zerogpu_enabled({"SPACES_ZERO_GPU": "true", "GANAPP_ZEROGPU": "0"})
    with pytest.raises(ValueError, match="GANAPP_ZEROGPU='yes'"):
        zerogpu_enabled({"GANAPP_ZEROGPU": "yes"})
    assert on_empty_choice({}) == "cpu" and on_empty_choice({"GANAPP_ZEROGPU_ON_EMPTY": "pause"}) == "pause"
    with pytest.raises(ValueError, match="GANAPP_ZEROGPU_ON_EMPTY='stop'.*cpu, pause"):
        on_empty_choice({"GANAPP_ZEROGPU_ON_EMPTY": "stop"})
    assert quota_error(RuntimeError(QUOTA_MESSAGE)) == (12.0, 252.0)
    assert quota_error(RuntimeError("CUDA error: out of memory")) is None


def test_the_hosts_engine_on_zerogpu_trains_in_chunks_and_builds_runs_on_the_cpu():
    from ganapp.engine.zerogpu import zerogpu_engine
    from ganapp.gan.trainer import resolve_device, set_auto_device

    assert zerogpu_engine({}) is None
    try:
        engine = zerogpu_engine({"GANAPP_ZEROGPU": "1", "GANAPP_ZEROGPU_ON_EMPTY": "pause"})
        assert isinstance(engine, ChunkedEngine) and engine.on_empty == "pause" and not engine.stacking
        assert resolve_device("auto").type == "cpu"  # runs live on the CPU between chunks
        engine.close()
    finally:
        set_auto_device(None)


def test_a_call_zerogpu_declines_for_now_trains_that_chunk_on_the_cpu_and_any_other_error_fails_the_run():
    from gradio.exceptions import Error  # what the spaces client raises; the engine layer does not import gradio

    def declining(error):
        def decorator(duration_s):
            def decorate(fn):
                def call(*args):
                    raise error
                return call
            return decorate
        return decorator

    engine = ChunkedEngine(chunk_s=0.05, device="cpu", on_empty="pause",
                           decorate=declining(Error("No GPU was available after 60s")))
    run = Run(tiny_2d(seed=7), engine=engine)
    try:
        run.step(10)
        assert wait_until(lambda: run.state == PAUSED and run.status().step == 10)
        assert not engine.gpu_status().empty  # not a spent quota: the next chunk asks for the GPU again
    finally:
        engine.close()
    engine = ChunkedEngine(chunk_s=0.05, device="cpu", decorate=declining(RuntimeError("CUDA error: misaligned")))
    run = Run(tiny_2d(seed=7), engine=engine)
    try:
        run.step(10)
        assert wait_until(lambda: run.state == "error")
        assert "CUDA error" in run.status().message
    finally:
        engine.close()
