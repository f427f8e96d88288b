"""The command line: scripted, reproducible runs without the browser.

    python -m ganapp train --dataset mnist_10k --model dcgan --steps 3000 --out runs/mnist.safetensors
    python -m ganapp sample --checkpoint runs/mnist.safetensors --n 64 --out grid.png
    python -m ganapp sample --checkpoint runs/ring.safetensors --n 2500 --out samples.npy
    python -m ganapp eval --checkpoint runs/ring.safetensors
    python -m ganapp train --dataset mnist --steps 3000 --save-every 500 --out runs/mnist.safetensors
    python -m ganapp timelapse --checkpoints runs/mnist_step*.safetensors --seed 7 --out digit.gif
    python -m ganapp train --init checkpoints/mnist_dcgan.safetensors --steps 500 --out runs/finetuned.safetensors
    python -m ganapp rooms 3 --host 0.0.0.0    # three classes at once: a landing page on 7860, rooms on 7861-7863

Bad flags and bad values print one line and exit with status 2; a missing dataset, a bad checkpoint (one whose
metadata lies is refused from its header, before anything is built) or a full disk exits with 1, and Ctrl-C with
130 (``train`` first saves the run it has). No user's mistake and no user's file ends in a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from tqdm import tqdm

from .gan.checkpoints import CheckpointError, inspect_checkpoint, load_checkpoint, save_checkpoint
from .gan.classifier import CLASSIFIER_PATH, train_and_save
from .gan.config import CLI_FIELDS, SETTINGS, GANConfig, range_text
from .gan.data import DatasetUnavailableError
from .gan.latent import follow_z, seed_to_z
from .gan.media import save_samples_gif, strip, to_grid
from .gan.memory import model_memory, round_mb
from .gan.metrics import MNIST_LIKE, N_REFERENCE, mode_metrics, scores_mnist, shared_judge
from .gan.points2d import MIXTURES
from .gan.trainer import Trainer, cycled_labels
from .host.limits import Limits
from .host.rooms import RAY_ADDRESS_VAR, Rooms, room_name
from .ui.rooms_page import landing_html


class UsageError(Exception):
    """A flag or value the user must fix; printed as one line."""


SAMPLE_BATCH = 500  # samples drawn by one forward pass of G: sample and eval hold one batch of activations at a time
MAX_PNG_SAMPLES = 1024  # images in one PNG grid; more go to a .npy
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C


def max_model_mb() -> int:
    """The most memory a model may take: ``GANAPP_MAX_MODEL_MB``, as for the app, else the app's default.

    Raises:
        UsageError: GANAPP_MAX_MODEL_MB is not an integer ≥ 1.
    """
    raw = os.environ.get("GANAPP_MAX_MODEL_MB")
    if raw is None:
        return Limits().max_model_mb
    try:
        return Limits(max_model_mb=int(raw)).max_model_mb
    except ValueError:
        raise UsageError(f"GANAPP_MAX_MODEL_MB={raw!r} is out of range: it must be an integer in 1..10000000") \
            from None


def check_memory(config: GANConfig) -> None:
    """Refuse a model whose estimated memory (:func:`ganapp.gan.memory.model_memory`: weights, Adam's moments, G's
    moving average and the activations at the batch size; a command-line run keeps no other copies of G) is over
    :func:`max_model_mb`, before anything is built.

    Raises:
        UsageError: naming the estimate and the limit.
    """
    m = model_memory(config)
    need = m.step_mb + (m.g_copy_mb if config.g_ema > 0 else 0.0)
    limit = max_model_mb()
    if need > limit:
        raise UsageError(f"this model would need about {round_mb(need):,} MB of memory (weights, Adam's moments and "
                         f"activations at batch {config.batch_size}), over the limit of {limit:,} MB: choose smaller "
                         f"widths, batch or images, or set GANAPP_MAX_MODEL_MB")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise UsageError(message)


def _number(text: str) -> int | float:
    """A number from the command line, as an int when it is a whole number: the schema checks its range and whether
    it must be an integer, with the same message as the page's."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    return int(value) if value.is_integer() else value


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting of the config's schema that has one (:data:`ganapp.gan.config.CLI_FIELDS`), with its help
    and its range or choices, e.g. ``--lr-g`` and ``--conditional``. Each defaults to None (not given): the
    dataset's recommended value, or a checkpoint's (``--init``). The values are checked by :class:`GANConfig`."""
    for name in CLI_FIELDS:
        s = SETTINGS[name]
        if s.type == "bool":
            parser.add_argument(s.flag, action="store_true", default=None, help=s.help["en"])
            continue
        allowed = f"{'an integer' if s.integer else 'a number'} in {range_text(name)}" if s.range else ""
        metavar = "{" + ",".join(map(str, s.choices)) + "}" if s.choices else name.upper()
        parser.add_argument(s.flag, type=_number if s.range or s.integer else str, metavar=metavar,
                            help=f"{s.help['en']} ({allowed})" if allowed else s.help["en"])


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m ganapp", description="Train GANs, sample and score them from the command line.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    t = sub.add_parser("train", help="train a GAN and save its checkpoint and a fixed_z grid",
                       description="A setting not given takes the dataset's recommended value (mnist_10k when "
                                   "--dataset is not given either), or with --init the checkpoint's.")
    t.add_argument("--steps", type=int, help="G updates (default 3000 when --minutes is not given either)")
    t.add_argument("--minutes", type=float, help="train for this much wall time, saving as usual; with --steps, "
                                                 "whichever ends first")
    t.add_argument("--out", type=Path, required=True, help="checkpoint path (.safetensors)")
    add_setting_flags(t)
    t.add_argument("--betas", type=float, nargs=2, metavar=("BETA1", "BETA2"), help="--beta1 and --beta2 at once")
    t.add_argument("--data-dir", type=Path, help="folder holding MNIST/raw (default: $GANAPP_DATA_DIR)")
    t.add_argument("--save-every", type=int, help="also save a checkpoint every this many steps, as OUT_stepNNNNNN")
    t.add_argument("--threads", type=int, help="torch's threads within an op (default: torch's choice); the app "
                   "trains a run alone on 1, and a sum split over threads rounds differently, so that 1 repeats its "
                   "weights bit for bit")
    t.add_argument("--constant-lr", action="store_true", help="keep the learning rates constant, as the app trains a "
                   "run with no time limit: lr_decay is saved with the run but not applied")
    t.add_argument("--init", type=Path, help="fine-tune: start from this checkpoint's G and D (and its settings)")
    s = sub.add_parser("sample", help="draw samples from a checkpoint as a PNG grid or a .npy array")
    s.add_argument("--checkpoint", type=Path, required=True)
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", type=Path, required=True, help="a .png grid or a .npy array")
    s.add_argument("--label", type=int, help="class of every sample, for a conditional model (default: 0, 1, 2, ...)")
    e = sub.add_parser("eval", help="score a checkpoint: 2D benchmarks by PacGAN's protocol (modes, quality, "
                                    "reverse KL), MNIST by the shipped classifier (Fréchet distance, classes, KL)")
    e.add_argument("--checkpoint", type=Path, required=True)
    e.add_argument("--n", type=int, help="samples (default: 2500 for 2D, 5000 for MNIST)")
    e.add_argument("--seed", type=int, default=0)
    m = sub.add_parser("timelapse", help="one z through the checkpoints a run saved: a PNG strip or a GIF")
    m.add_argument("--checkpoints", type=Path, nargs="+", required=True)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--label", type=int, help="class, for a conditional model (default 0)")
    m.add_argument("--out", type=Path, required=True, help="a .png strip or a .gif")
    c = sub.add_parser("train-classifier", help="train the MNIST classifier that scores generated digits")
    c.add_argument("--out", type=Path, default=CLASSIFIER_PATH)
    c.add_argument("--epochs", type=int, default=3)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--data-dir", type=Path, help="folder holding MNIST/raw (default: $GANAPP_DATA_DIR)")
    r = sub.add_parser("rooms", help="serve several classes at once: a room per class, each a web server of its own "
                                     "with its own teacher token, and a landing page listing them",
                       description="Starts the rooms on the ports after --port (which the landing page takes) and "
                                   "stops them all on Ctrl-C or SIGTERM, each saving its runs first. Every other "
                                   "setting comes from the environment, as for app.py (docs/hosting.md); each "
                                   "room's autosaves live in GANAPP_STATE_DIR/rooms/<room>. See docs/scale.md.")
    r.add_argument("count", type=int, nargs="?", help=f"how many rooms, named room-1 .. room-N (1..{MAX_ROOMS})")
    r.add_argument("--names", nargs="+", metavar="NAME", help="the rooms' names instead: 1 to 32 lowercase letters, "
                   "digits and hyphens each")
    r.add_argument("--port", type=int, default=7860, help="the landing page's port; the rooms take the next ones "
                   "(default 7860)")
    r.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                   help="the address to serve on (default: $GRADIO_SERVER_NAME, else 127.0.0.1, this computer only; "
                        "0.0.0.0 serves the network)")
    r.add_argument("--no-ray", action="store_true", help="train each room in its own training worker even when Ray "
                   "is installed")
    return p


def train_classifier(a: argparse.Namespace) -> int:
    if not 1 <= a.epochs <= 100:
        raise UsageError(f"--epochs={a.epochs} is out of range: it must be in 1..100")
    if a.out.suffix != ".safetensors":
        raise UsageError(f"--out={a.out} must end in .safetensors")
    result = train_and_save(a.out, a.data_dir, a.epochs, a.seed)
    print(json.dumps({"out": str(a.out), **result}))
    return 0


def _config(a: argparse.Namespace, base: GANConfig | None = None) -> GANConfig:
    """The run's config: the dataset's recommended one (or, with ``base``, a checkpoint's), with the flags given on
    top. Raises ConfigError (a ValueError) naming the field and its range."""
    overrides = {name: getattr(a, name) for name in CLI_FIELDS if getattr(a, name, None) is not None}
    if a.betas:
        overrides.update(beta1=a.betas[0], beta2=a.betas[1])
    dataset = overrides.pop("dataset", None)
    if base is not None:  # fine-tuning: the checkpoint's settings, with the flags given on top
        return base.replace(**overrides, **({"dataset": dataset} if dataset is not None else {}))
    return GANConfig.default_for("mnist_10k" if dataset is None else dataset, **overrides)


DEFAULT_STEPS = 3000


def train(a: argparse.Namespace) -> int:
    if a.steps is None and a.minutes is None:
        a.steps = DEFAULT_STEPS
    if a.steps is not None and a.steps < 1:
        raise UsageError(f"--steps={a.steps} is out of range: it must be ≥ 1")
    if a.minutes is not None and not a.minutes > 0:
        raise UsageError(f"--minutes={a.minutes} is out of range: it must be > 0")
    if a.out.suffix != ".safetensors":
        raise UsageError(f"--out={a.out} must end in .safetensors")
    if a.save_every is not None and a.save_every < 1:
        raise UsageError(f"--save-every={a.save_every} is out of range: it must be ≥ 1")
    if a.threads is not None and not 1 <= a.threads <= 1024:
        raise UsageError(f"--threads={a.threads} is out of range: it must be in 1..1024")
    if a.data_dir is not None:
        os.environ["GANAPP_DATA_DIR"] = str(a.data_dir)
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    if a.init:
        config = _config(a, inspect_checkpoint(a.init)[0])  # the header first: a file that lies costs nothing
        check_memory(config)
        init = load_checkpoint(a.init)
    else:
        config, init = _config(a), None
        check_memory(config)
    trainer = Trainer(config)
    if init is not None:
        try:
            trainer.start_from(init)
        except ValueError as e:
            raise UsageError(f"--init={a.init} does not fit these settings ({e})") from None
    first_step = trainer.step_count + 1
    started = time.monotonic()
    run_s = 60 * a.minutes if a.minutes else float("inf")
    steps = a.steps if a.steps is not None else float("inf")  # --minutes alone: as many steps as fit
    bar = tqdm(total=a.steps, unit="step", dynamic_ncols=True, desc=f"{config.dataset} {config.model}")
    metrics: dict[str, float] = {}
    i = 0
    with ctrl_c_between_steps() as interrupted:
        while i < steps and not interrupted.is_set():
            i += 1
            # the run ends at --steps or --minutes, whichever comes first: its progress is the further along of the two
            progress = max((i - 1) / steps, (time.monotonic() - started) / run_s)
            trainer.set_progress(None if a.constant_lr else progress)
            out = trainer.train_step()
            step = trainer.step_count
            if i % 10 == 0 or i == steps:  # one host sync per 10 steps
                metrics = dict(zip(("d_loss", "g_loss", "D(x)", "D(G(z))"), out.tolist()))
                bar.set_postfix({k: f"{v:.3f}" for k, v in metrics.items()}, refresh=False)
                bar.update(i - bar.n)
                if not all(np.isfinite(list(metrics.values()))):
                    bar.close()
                    print(f"ganapp: error: non-finite values at step {step} ({metrics}); lower the learning rates",
                          file=sys.stderr)
                    return 1
            if a.save_every and i % a.save_every == 0:
                save_checkpoint(a.out.with_name(f"{a.out.stem}_step{step:06d}.safetensors"), trainer.G_shown, config,
                                step, D=trainer.D, fixed_z=trainer.fixed_z)
            if time.monotonic() - started >= run_s:
                break
        bar.update(trainer.step_count - first_step + 1 - bar.n)
        bar.close()
        # a Ctrl-C from here on waits until the checkpoint is whole: the run is saved once, not half
        path = save_checkpoint(a.out, trainer.G_shown, config, trainer.step_count, D=trainer.D,
                               fixed_z=trainer.fixed_z)
        if interrupted.is_set():
            print(f"ganapp: interrupted at step {trainer.step_count}: saved the run so far to {path}",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
    grid_path = path.with_suffix(".png")
    _save_samples(trainer.sample(trainer.fixed_z, trainer.fixed_y), config, grid_path)
    print(f"saved {path} (step {trainer.step_count}) and {grid_path}")
    return 0


@contextlib.contextmanager
def ctrl_c_between_steps() -> Iterator[threading.Event]:
    """A context in which Ctrl-C (SIGINT) sets the yielded event instead of raising, so that training stops between
    two steps, with G and D whole, and the run is saved; a second Ctrl-C raises KeyboardInterrupt at once. Outside
    the main thread (where Python takes no signal handler) Ctrl-C raises as usual."""
    event = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        event.set()

    old = signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() else None
    try:
        yield event
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)


def _save_samples(x: torch.Tensor, config: GANConfig, path: Path) -> None:
    """A PNG of samples: an image grid, or a scatter-like raster of 2D points."""
    if config.is_2d:
        from .gan.points2d import BOUNDS_2D

        x0, x1, y0, y1 = BOUNDS_2D[config.dataset]
        image = Image.new("RGB", (320, 320), "white")
        draw = ImageDraw.Draw(image)
        for px, py in x.numpy():
            cx, cy = (px - x0) / (x1 - x0) * 319, (y1 - py) / (y1 - y0) * 319
            draw.ellipse((cx - 2, cy - 2, cx + 2, cy + 2), fill=(255, 127, 14))
        image.save(path)
    else:
        Image.fromarray(to_grid(x, nrow=config.n_classes or 8)).save(path)


def _generate(G: torch.nn.Module, z: torch.Tensor, y: torch.Tensor | None, out: np.ndarray | None = None
              ) -> torch.Tensor | None:
    """G(z[, y]) in batches of SAMPLE_BATCH, so that only one batch's activations are held at a time: the samples
    are written into ``out`` (an array or a .npy memmap of the samples' shape) when given, else returned whole."""
    parts = []
    with torch.no_grad():
        for i in range(0, len(z), SAMPLE_BATCH):
            x = G(z[i:i + SAMPLE_BATCH], None if y is None else y[i:i + SAMPLE_BATCH]).float()
            if out is not None:
                out[i:i + len(x)] = x.numpy()
            else:
                parts.append(x)
    return None if out is not None else torch.cat(parts)


def _sample_shape(config: GANConfig) -> tuple[int, ...]:
    return (2,) if config.is_2d else (config.channels, config.image_size, config.image_size)


def sample(a: argparse.Namespace) -> int:
    if not 1 <= a.n <= 100_000:
        raise UsageError(f"--n={a.n} is out of range: it must be in 1..100000")
    if a.out.suffix not in (".png", ".npy"):
        raise UsageError(f"--out={a.out} must end in .png or .npy")
    ckpt = load_checkpoint(a.checkpoint)
    if a.out.suffix == ".png" and not ckpt.config.is_2d and a.n > MAX_PNG_SAMPLES:
        raise UsageError(f"--n={a.n} is too many images for one PNG grid (at most {MAX_PNG_SAMPLES}): write a .npy")
    y = None
    if ckpt.config.conditional:
        if a.label is not None and not 0 <= a.label < ckpt.config.n_classes:
            raise UsageError(f"--label={a.label} is out of range: it must be in 0..{ckpt.config.n_classes - 1}")
        y = torch.full((a.n,), a.label) if a.label is not None else cycled_labels(a.n, ckpt.config.n_classes)
    elif a.label is not None:
        raise UsageError("--label needs a class-conditional checkpoint; this one is unconditional")
    z = seed_to_z(a.seed, ckpt.config.z_dim, a.n, ckpt.config.noise)
    shape = (a.n, *_sample_shape(ckpt.config))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    if a.out.suffix == ".npy":  # (N, 2) data coordinates, or (N, C, H, W) in [-1, 1], written a batch at a time
        out = np.lib.format.open_memmap(a.out, mode="w+", dtype=np.float32, shape=shape)
        _generate(ckpt.G, z, y, out)
        out.flush()
        del out
    else:
        _save_samples(_generate(ckpt.G, z, y), ckpt.config, a.out)
    print(f"wrote {a.out} ({a.n} samples, shape {shape})")
    return 0


def evaluate(a: argparse.Namespace) -> int:
    ckpt = load_checkpoint(a.checkpoint)
    c = ckpt.config
    if scores_mnist(c):
        n = a.n if a.n is not None else N_REFERENCE
        if not 2 <= n <= N_REFERENCE:
            raise UsageError(f"--n={n} is out of range: it must be in 2..{N_REFERENCE} for MNIST")
        judge = shared_judge()
        if judge is None:
            raise UsageError("the MNIST classifier is missing: run `python -m ganapp train-classifier`")
        try:
            m = judge.score_generator(ckpt.G, c.z_dim, c.n_classes, n=n, seed=a.seed)
        except ValueError as e:  # G's samples are not finite: there is no distance to report
            raise CheckpointError("non_finite", f"{a.checkpoint.name} cannot be scored: {e}") from None
        print(json.dumps({"dataset": c.dataset, "step": ckpt.step, "samples": n, **m}))
        return 0
    if c.dataset not in MIXTURES:
        raise UsageError(f"eval scores the 2D benchmarks ({', '.join(MIXTURES)}) and MNIST digits "
                         f"({', '.join(MNIST_LIKE)}, 28×28 grey); this checkpoint is {c.dataset!r}")
    n = a.n if a.n is not None else 2500
    if not 1 <= n <= 100_000:
        raise UsageError(f"--n={n} is out of range: it must be in 1..100000")
    x = _generate(ckpt.G, seed_to_z(a.seed, c.z_dim, n, c.noise), None).numpy()
    if not np.isfinite(x).all():
        raise CheckpointError("non_finite", f"{a.checkpoint.name} cannot be scored: G's samples are not finite")
    m = mode_metrics(x, MIXTURES[c.dataset]())
    print(json.dumps({"dataset": c.dataset, "step": ckpt.step, "samples": n, **m}))
    return 0


def timelapse(a: argparse.Namespace) -> int:
    if a.out.suffix not in (".png", ".gif"):
        raise UsageError(f"--out={a.out} must end in .png or .gif")
    headers = [inspect_checkpoint(p) for p in a.checkpoints]  # every header first: one file that lies stops it at once
    configs = {(c.z_dim, c.n_classes, c.is_2d) for c, _, _ in headers}
    if len(configs) > 1 or headers[0][0].is_2d:
        raise UsageError("--checkpoints must be image checkpoints of one run (same z_dim and classes)")
    ckpts = [load_checkpoint(p) for p in a.checkpoints]
    c = ckpts[0].config
    y = None
    if c.conditional:
        label = a.label or 0
        if not 0 <= label < c.n_classes:
            raise UsageError(f"--label={label} is out of range: it must be in 0..{c.n_classes - 1}")
        y = torch.tensor([label])
    steps, x = follow_z([(k.step, k.G) for k in ckpts], seed_to_z(a.seed, c.z_dim, noise=c.noise), y)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    if a.out.suffix == ".gif":
        save_samples_gif(x, a.out, fps=4)
    else:
        Image.fromarray(strip(x)).save(a.out)
    print(f"wrote {a.out} ({len(steps)} frames, steps {', '.join(map(str, steps))})")
    return 0


MAX_ROOMS = 64


def rooms(a: argparse.Namespace) -> int:
    """Serve the rooms until Ctrl-C or SIGTERM; 0 then, 1 when a room failed or ended on its own."""
    if a.names is not None:
        if a.count is not None and a.count != len(a.names):
            raise UsageError(f"rooms: {a.count} rooms but {len(a.names)} --names: give one or the other, or as many")
        names = a.names
    elif a.count is None:
        raise UsageError("rooms: say how many rooms (e.g. `rooms 3`) or name them with --names")
    else:
        names = [f"room-{i}" for i in range(1, a.count + 1)]
    if not 1 <= len(names) <= MAX_ROOMS:
        raise UsageError(f"rooms: {len(names)} rooms is out of range: it must be in 1..{MAX_ROOMS}")
    for name in names:
        try:
            room_name(name)
        except ValueError as e:
            raise UsageError(f"--names: {e}") from None
    app_path = Path(__file__).resolve().parents[1] / "app.py"
    if not app_path.is_file():
        raise UsageError("rooms serves app.py from a checkout of ganapp, and there is none beside this package")
    try:
        launcher = Rooms(names, app_path, host=a.host, port=a.port)
    except ValueError as e:
        raise UsageError(str(e)) from None
    given = os.environ.get(RAY_ADDRESS_VAR, "").strip()
    if a.no_ray:
        how = "each room trains in its own training worker (--no-ray)"
        launcher.env.pop(RAY_ADDRESS_VAR, None)
    elif importlib.util.find_spec("ray") is None:
        how = "each room trains in its own training worker (Ray is not installed: see requirements-ray.txt)"
    elif given:
        how = f"every room trains on the Ray cluster at {given} ({RAY_ADDRESS_VAR})"
    else:
        launcher.ray = True
        how = "every room trains on one local Ray cluster, started now"
    launcher.handle_signals()
    try:
        launcher.start(lambda host: landing_html([(room.name, room.port) for room in launcher.rooms], host))
    except BaseException:
        launcher.stop()  # what did start (Ray, rooms) ends with the error
        raise
    if launcher.ray_address is not None:
        how += f" at {launcher.ray_address}"
    print(f"ganapp rooms: {len(names)} room{'s' if len(names) > 1 else ''}; {how}", flush=True)
    print(f"  landing page  {launcher.url(launcher.port)}", flush=True)
    for room in launcher.rooms:  # each token is shown here once, and nowhere else
        print(f"  {room.name:<12}  {launcher.url(room.port)}  teacher: {launcher.url(room.port)}teacher  "
              f"token: {room.teacher_token}", flush=True)
    try:
        launcher.wait_ready()
    except RuntimeError as e:
        launcher.stop()
        print(f"ganapp: error: {e}", file=sys.stderr)
        return 1
    if not launcher.stopping:
        print("ganapp rooms: ready, every room answers; Ctrl-C stops them all", flush=True)
    return launcher.serve()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status: 0 ok, 1 a runtime failure (a missing dataset, a checkpoint refused, a
    full disk, no memory), 2 a usage error, 130 interrupted by Ctrl-C. Each failure prints one line, never a
    traceback."""
    try:
        a = _parser().parse_args(argv)
        return {"train": train, "sample": sample, "eval": evaluate, "timelapse": timelapse,
                "train-classifier": train_classifier, "rooms": rooms}[a.command](a)
    except UsageError as e:
        return _fail(e, 2)
    except CheckpointError as e:  # a user's file: its reason and the file's name, one line
        return _fail(e, 1)
    except ValueError as e:  # a setting out of range, named with its range (ConfigError and the like)
        return _fail(e, 2)
    except (DatasetUnavailableError, OSError) as e:
        return _fail(e, 1)
    except MemoryError:
        return _fail("not enough memory for this run: choose smaller widths, batch or images", 1)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)


def _fail(e: object, status: int) -> int:
    """Print ``e`` as one line on stderr and return ``status``."""
    text = " ".join(str(e).split()) or type(e).__name__
    print(f"ganapp: error: {text}", file=sys.stderr)
    return status
