"""Autosaves: each returning visitor's runs on disk, so that a server restart loses at most a minute of training,
and the signed visitor tokens that let a browser find its runs again.

The state folder (``GANAPP_STATE_DIR``) holds:

- ``secret.key``: the server's secret (created once, mode 0600, kept across restarts). It signs visitor tokens
  (HMAC-SHA256, RFC 2104) and names the visitors' folders, so a folder name reveals nothing of the id behind it.
- ``runs/<folder>/a.safetensors`` (run A) and ``b.safetensors`` (the side-by-side run B) of one visitor: the
  tensors of the run (G, D, G_ema, both Adam optimisers, fixed_z, the RNG, the history rows, the time-lapse G
  snapshots) in safetensors, and the rest (config, step, clock, scores) as JSON in its metadata. Each file is written
  atomically (:func:`ganapp.gan.checkpoints.write_atomic`), so a write killed half-way leaves the previous autosave.

Nothing here knows about runs or widgets: :mod:`ganapp.host.registry` decides when to save, and
:class:`ganapp.run.run.Run` what a run's state is.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import torch
from safetensors import SafetensorError
from safetensors.torch import save as safetensors_save

from ..gan.checkpoints import json_plain, read_safetensors, write_atomic

log = logging.getLogger("ganapp")

FORMAT = "ganapp-autosave"
VERSION = "1"
SLOTS = ("a", "b")  # run A, and the side-by-side run B
ID_BYTES = 24  # 192 random bits per visitor id
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_token makes: ID_BYTES random bytes, base64url
# matched with fullmatch: ``$`` would also match before a final newline, and let "<token>\n" in as the token
_TOKEN = re.compile(rf"({VISITOR_ID.pattern})\.([A-Za-z0-9_-]{{43}})")


def default_state_dir() -> Path:
    """``$GANAPP_STATE_DIR``, else ``~/.cache/ganapp/state`` (``$XDG_CACHE_HOME`` honoured). A ``file://`` URL is
    its folder. Another URL (``s3://``, ``gs://``) is where the engines of a Ray cluster autosave their runs (see
    :mod:`ganapp.service.ray_store`): this process's own folder (the secret, the tokens, the visitors' autosaves)
    is then the default one, on this machine."""
    value = os.environ.get("GANAPP_STATE_DIR", "")
    if value and "://" not in value:
        return Path(value).expanduser()
    if value.startswith("file://"):
        return Path(urlsplit(value).path)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "ganapp" / "state"


class AutosaveError(ValueError):
    """An autosave file cannot be used (missing, not safetensors, or not a ganapp autosave).

    Attributes:
        reason: ``missing``, ``not_safetensors`` or ``not_autosave``.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class StateStore:
    """The state folder: the server secret, visitor tokens, and one folder of autosaves per visitor.

    Args:
        root: the state folder (created when missing).
        max_bytes: the most the visitors' autosaves may take together; :meth:`enforce_cap` deletes the oldest idle
            visitors' folders beyond it.

    Raises:
        ValueError: ``max_bytes`` is not > 0.
        OSError: ``root`` cannot be created, or its secret cannot be read or written.
    """

    def __init__(self, root: str | Path, max_bytes: int = 2 * 1024**3):
        if not max_bytes > 0:
            raise ValueError(f"max_bytes={max_bytes!r} is out of range: it must be > 0")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.runs = self.root / "runs"
        self.runs.mkdir(parents=True, exist_ok=True)
        self._secret = self._load_secret()
        for stale in self.runs.glob("*/.*.tmp"):  # what a write killed half-way (kill -9, power loss) left
            with contextlib.suppress(OSError):  # a read-only folder still serves its autosaves
                stale.unlink(missing_ok=True)

    def _load_secret(self) -> bytes:
        path = self.root / "secret.key"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            secret = path.read_bytes().strip()
            if len(secret) >= 32:
                return secret
            raise OSError(f"{path} is shorter than 32 bytes: delete it to make a new secret") from None
        secret = secrets.token_hex(32).encode()
        with os.fdopen(fd, "wb") as f:
            f.write(secret)
        return secret

    def _mac(self, label: str, text: str) -> bytes:
        return hmac.new(self._secret, f"{label}:{text}".encode(), hashlib.sha256).digest()

    # ----- visitor ids and tokens -----

    def new_token(self) -> str:
        """A fresh visitor's token: ``<id>.<signature>``, the id 192 random bits, the signature an HMAC-SHA256 of it
        under the server secret (base64url). Only the server can make one that :meth:`verify` accepts."""
        vid = base64.urlsafe_b64encode(secrets.token_bytes(ID_BYTES)).decode()
        return f"{vid}.{self._sign(vid)}"

    def _sign(self, vid: str) -> str:
        return base64.urlsafe_b64encode(self._mac("token", vid)).decode().rstrip("=")

    def verify(self, token: Any) -> str | None:
        """The visitor id in a token from :meth:`new_token`, or None for anything else (malformed, forged, signed
        under another secret). Compares signatures in constant time."""
        match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
        if match is None or not hmac.compare_digest(match.group(2), self._sign(match.group(1))):
            return None
        return match.group(1)

    def browser_secret(self) -> str:
        """A key for ``gr.BrowserState(secret=...)``, derived from the server secret (one-way), so the browser's
        stored token can still be read after a restart."""
        return self._mac("browser", "state").hex()[:32]

    def folder(self, visitor_id: str) -> Path:
        """The visitor's autosave folder. Its name is an HMAC of the id: never the id itself, never a path a
        visitor chose."""
        return self.runs / self._mac("folder", visitor_id).hex()[:32]

    # ----- reading and writing -----

    def path(self, visitor_id: str, slot: str) -> Path:
        if slot not in SLOTS:
            raise ValueError(f"slot={slot!r} must be one of {', '.join(SLOTS)}")
        return self.folder(visitor_id) / f"{slot}.safetensors"

    def write(self, visitor_id: str, slot: str, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> Path:
        """Write one run's autosave atomically: the old file stays whole until the new one is on disk.

        Args:
            tensors: name → CPU tensor (contiguous, none sharing memory with another).
            meta: JSON-serialisable values (NumPy scalars are written as Python numbers).
        Raises:
            OSError: the folder is not writable (the previous autosave is left as it was).
        """
        text = json.dumps(meta, default=json_plain)
        blob = safetensors_save(tensors, metadata={"format": FORMAT, "version": VERSION, "state": text})
        return write_atomic(self.path(visitor_id, slot), blob)

    def read(self, visitor_id: str, slot: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """One run's autosave: (tensors on the CPU, meta). Never unpickles.

        Raises:
            AutosaveError: there is none, or the file is not a ganapp autosave.
        """
        path = self.path(visitor_id, slot)
        if not path.is_file():
            raise AutosaveError("missing", f"no autosave at {path}")
        try:
            tensors, metadata = read_safetensors(path)
        except (SafetensorError, OSError, ValueError, RuntimeError) as e:
            raise AutosaveError("not_safetensors", f"{path} is not a safetensors file ({e})") from None
        if metadata.get("format") != FORMAT or "state" not in metadata:
            raise AutosaveError("not_autosave", f"{path} is not a ganapp autosave")
        try:
            return tensors, json.loads(metadata["state"])
        except json.JSONDecodeError as e:
            raise AutosaveError("not_autosave", f"{path} holds unreadable state ({e})") from None

    def has(self, visitor_id: str, slot: str = "a") -> bool:
        return self.path(visitor_id, slot).is_file()

    def discard(self, visitor_id: str, slot: str | None = None) -> None:
        """Delete one slot of the visitor's autosaves, or (``slot`` None) their whole folder."""
        if slot is None:
            shutil.rmtree(self.folder(visitor_id), ignore_errors=True)
        else:
            self.path(visitor_id, slot).unlink(missing_ok=True)

    # ----- keeping the folder small -----

    def _folders(self) -> list[tuple[float, int, Path]]:
        """(last write time, bytes, path) of every visitor folder, oldest first."""
        found = []
        for folder in self.runs.iterdir():
            files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
            if not files:
                continue
            stats = [p.stat() for p in files]
            found.append((max(s.st_mtime for s in stats), sum(s.st_size for s in stats), folder))
        return sorted(found)

    def sweep(self, older_than_s: float, keep: set[str] = frozenset()) -> list[Path]:
        """Delete the folders last written more than ``older_than_s`` ago, except those of the visitor ids in
        ``keep``. Returns the folders deleted."""
        keep_folders = {self.folder(v) for v in keep}
        cutoff = time.time() - older_than_s
        gone = [p for mtime, _, p in self._folders() if mtime < cutoff and p not in keep_folders]
        for p in gone:
            shutil.rmtree(p, ignore_errors=True)
        return gone

    def enforce_cap(self, keep: set[str] = frozenset()) -> list[Path]:
        """While the autosaves take more than ``max_bytes``, delete the folder written longest ago, except those of
        the visitor ids in ``keep`` (the visitors on the server now). Returns the folders deleted."""
        keep_folders = {self.folder(v) for v in keep}
        folders = self._folders()
        total = sum(size for _, size, _ in folders)
        gone = []
        for _, size, p in folders:
            if total <= self.max_bytes:
                break
            if p in keep_folders:
                continue
            shutil.rmtree(p, ignore_errors=True)
            total -= size
            gone.append(p)
        return gone
