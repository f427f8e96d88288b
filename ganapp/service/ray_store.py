"""Where the engines of a Ray cluster autosave their runs: :class:`RunStore`, storage that every engine can read.

A local folder by default, or an fsspec URL (``file://``, ``s3://``, ``gs://``; fsspec's filesystem for that scheme
must be installed on every node). One file per run, ``<root>/<run id>.safetensors``: the run's tensors in
safetensors, the rest as JSON in its metadata, as the visitors' autosaves (:mod:`ganapp.host.autosave`) are, and
with the same guarantees: never unpickled, never half-written (a local file is written to a temporary name and
renamed; an object store shows an object only once its upload completed), and a size cap.
"""

from __future__ import annotations

import json
import re
from typing import Any

import fsspec
import torch
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save

from ..gan.checkpoints import json_plain, write_atomic

__all__ = ["RunStore"]

FORMAT = "ganapp-autosave"
RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what RayService makes: never a path


class RunStore:
    """One autosave file per run, in a folder or under an fsspec URL.

    Args:
        url: a local folder, or an fsspec URL (``file:///srv/ganapp``, ``s3://bucket/ganapp``); created when missing.
        max_bytes: the most the files may take together; :meth:`enforce_cap` deletes the oldest beyond it.
    Raises:
        ValueError: ``max_bytes`` is not > 0.
        ImportError: the URL's filesystem is not installed (``s3fs`` for ``s3://``, ``gcsfs`` for ``gs://``).
        OSError: the folder cannot be created.
    """

    def __init__(self, url: str, max_bytes: int = 2 * 1024**3):
        if not max_bytes > 0:
            raise ValueError(f"max_bytes={max_bytes!r} is out of range: it must be > 0")
        self.url, self.max_bytes = str(url), max_bytes
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.local = "file" in (self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,))
        self.fs.makedirs(self.root, exist_ok=True)

    def path(self, run_id: str) -> str:
        """The file of run ``run_id``.

        Raises:
            ValueError: ``run_id`` is not 1..64 letters, digits, ``-`` or ``_``.
        """
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            raise ValueError(f"run_id={run_id!r} must be 1 to 64 letters, digits, - or _")
        return f"{self.root.rstrip('/')}/{run_id}.safetensors"

    def write(self, run_id: str, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Write one run's autosave whole: a reader sees the previous one or this one, never half of one.

        Raises:
            OSError: the storage refused the write (the previous autosave is left as it was).
        """
        blob = safetensors_save(tensors, metadata={"format": FORMAT, "state": json.dumps(meta, default=json_plain)})
        if self.local:
            write_atomic(self.path(run_id), blob)
        else:
            self.fs.pipe_file(self.path(run_id), blob)  # one upload: the object appears whole or not at all

    def read(self, run_id: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
        """Run ``run_id``'s last autosave (tensors on the CPU, meta), or None when it has none or it is not a ganapp
        autosave. Never unpickles."""
        try:
            blob = self.fs.cat_file(self.path(run_id))
        except FileNotFoundError:
            return None
        try:
            tensors = safetensors_load(blob)
            header = json.loads(blob[8:8 + int.from_bytes(blob[:8], "little")])
            metadata = header.get("__metadata__") or {}
            if metadata.get("format") != FORMAT:
                return None
            return tensors, json.loads(metadata["state"])
        except Exception:  # noqa: BLE001 (a damaged file, whatever its damage, is no autosave)
            return None

    def discard(self, run_id: str) -> None:
        """Delete run ``run_id``'s autosave (none: nothing to do)."""
        try:
            self.fs.rm_file(self.path(run_id))
        except FileNotFoundError:
            pass

    def enforce_cap(self, keep: set[str] = frozenset()) -> list[str]:
        """While the files take more than ``max_bytes``, delete the one written longest ago, except those of the
        run ids in ``keep`` (runs that train now). Returns the run ids deleted."""
        files = []
        for info in self.fs.ls(self.root, detail=True):
            name = info["name"].rsplit("/", 1)[-1]
            if info.get("type") == "file" and name.endswith(".safetensors") and not name.startswith("."):
                files.append((self.fs.modified(info["name"]), info.get("size") or 0, name[:-len(".safetensors")]))
        files.sort()
        total, gone = sum(size for _, size, _ in files), []
        for _, size, run_id in files:
            if total <= self.max_bytes:
                break
            if run_id in keep:
                continue
            self.discard(run_id)
            total -= size
            gone.append(run_id)
        return gone
