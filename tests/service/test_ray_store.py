"""Where a Ray cluster's engines autosave their runs (ganapp.service.ray_store.RunStore): a folder or an fsspec URL,
never a half-written file, never a path from a run id, and a size cap. No Ray needed."""

from __future__ import annotations

import os

import pytest
import torch

from ganapp.service.ray_store import RunStore


def _tensors(n: int = 4) -> dict[str, torch.Tensor]:
    return {"G.w": torch.arange(n, dtype=torch.float32), "step": torch.tensor([n])}


@pytest.mark.parametrize("scheme", ["path", "file", "memory"])
def test_an_autosave_reads_back_whole_from_a_folder_or_a_url(tmp_path, scheme):
    url = {"path": str(tmp_path), "file": f"file://{tmp_path}", "memory": f"memory://ganapp-{os.getpid()}"}[scheme]
    store = RunStore(url)
    assert store.read("r1") is None
    store.write("r1", _tensors(), {"trainer": {"step_count": 4}, "session": {"state": "running"}})
    tensors, meta = store.read("r1")
    assert torch.equal(tensors["G.w"], torch.arange(4, dtype=torch.float32))
    assert meta == {"trainer": {"step_count": 4}, "session": {"state": "running"}}
    store.discard("r1")
    assert store.read("r1") is None


def test_a_failed_write_leaves_the_previous_autosave_and_no_temporary_file(tmp_path, monkeypatch):
    store = RunStore(tmp_path)
    store.write("r1", _tensors(4), {"v": 1})

    def broken(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError):
        store.write("r1", _tensors(8), {"v": 2})
    assert store.read("r1")[1] == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r1.safetensors"]


def test_a_file_that_is_not_an_autosave_reads_as_none(tmp_path):
    store = RunStore(tmp_path)
    (tmp_path / "r1.safetensors").write_bytes(b"not safetensors at all")
    assert store.read("r1") is None


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "x" * 65, None])
def test_a_run_id_is_never_a_path(tmp_path, bad):
    with pytest.raises(ValueError, match="run_id"):
        RunStore(tmp_path).path(bad)


def test_the_cap_deletes_the_oldest_autosaves_except_those_kept(tmp_path):
    store = RunStore(tmp_path, max_bytes=1)
    for i, run_id in enumerate(("old", "kept", "new")):
        store.write(run_id, _tensors(), {})
        os.utime(tmp_path / f"{run_id}.safetensors", (1000 + i, 1000 + i))
    size = (tmp_path / "new.safetensors").stat().st_size
    store.max_bytes = 2 * size
    assert store.enforce_cap(keep={"kept"}) == ["old"]
    assert store.read("kept") is not None and store.read("new") is not None
    with pytest.raises(ValueError, match="max_bytes"):
        RunStore(tmp_path, max_bytes=0)
