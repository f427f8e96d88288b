"""The command line that reproduces a run from scratch: ``python -m ganapp train ...`` with every setting.

The command names every setting that has a flag (:data:`ganapp.gan.config.CLI_FIELDS`), not only those that differ
from the dataset's recommended values: the recommended values are tuned from release to release
(benchmarks/README.md), and a command that names each value trains the same run under a later version too. A
yes/no setting is a flag that can only say yes (``--conditional``), so it appears only when on; every one is off by
default for every dataset, so leaving it out means off.

With the same seed, the same settings and the same number of steps, the CLI's run ends with the same weights as a
run trained in one go from scratch, bit for bit on the CPU with the same number of threads
(``tests/gan/test_reproduce_command.py`` checks it): weight init, z and the data order all come from the seed. On a
GPU, cuDNN's choice of algorithms may differ by float rounding. A run whose settings changed while it trained, or
that took single D or G updates, or trained stacked with a class's runs (equal to float tolerance only), followed
another path: the command gives the run its settings describe, not that one.
"""

from __future__ import annotations

import shlex

from .config import CLI_FIELDS, SETTINGS, GANConfig

DEFAULT_OUT = "run.safetensors"


def reproduce_command(config: GANConfig, steps: int, out: str = DEFAULT_OUT, constant_lr: bool = True,
                      threads: int | None = 1, python: str = "python") -> str:
    """The ``python -m ganapp train`` command that trains ``config`` from scratch for ``steps`` G updates and saves
    the result to ``out``, quoted for a POSIX shell (:func:`shlex.quote`), on one line.

    Parsing it with the CLI's own parser gives back ``config`` exactly (floats are written with ``repr``, which
    reads back to the same float).

    Args:
        config: the run's settings, seed included.
        steps: G updates to train, an integer ≥ 1.
        out: the checkpoint path the command writes, ending in ``.safetensors``.
        constant_lr: keep the learning rates constant (``--constant-lr``), as the app trains a run that has no time
            limit; False lets the CLI decay them over the last ``lr_decay`` share of ``steps``, as for a run of
            known length. Without lr_decay the two agree and no flag is written.
        threads: torch's threads within an op (``--threads``), 1..1024, or None to leave torch's choice. 1 by
            default, as the app trains a run alone: a convolution's sums split over more threads round differently,
            so that a DCGAN's weights would differ in the last bits.
        python: the interpreter the command names.
    Returns:
        The command, e.g. ``python -m ganapp train --steps 200 --out=run.safetensors --dataset ring8 ...``.
    Raises:
        ValueError: ``config`` is not a GANConfig, ``steps`` is not an integer ≥ 1, or ``out`` does not end in
            ``.safetensors``, or ``threads`` is not None nor an integer in 1..1024 (the message names the field).
    """
    if not isinstance(config, GANConfig):
        raise ValueError(f"config={config!r} must be a GANConfig")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps={steps!r} is out of range: it must be an integer ≥ 1")
    if not isinstance(out, str) or not out.endswith(".safetensors") or not out.strip():
        raise ValueError(f"out={out!r} must be a path ending in .safetensors")
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 1024):
        raise ValueError(f"threads={threads!r} is out of range: it must be None or an integer in 1..1024")
    # a path as --flag=PATH, so that one starting with a dash is not read as a flag
    words = [python, "-m", "ganapp", "train", "--steps", str(steps), f"--out={out}"]
    for name in CLI_FIELDS:
        setting, value = SETTINGS[name], getattr(config, name)
        if setting.type == "bool":
            if value:  # a store_true flag: present means on
                words.append(setting.flag)
        elif name == "data_path" and not value:
            continue  # only folder and drawn read it, and they refuse to be built without one
        elif name in ("g_hidden", "d_hidden") and not value:
            continue  # "" is the default: the classic layers from the width
        elif name == "data_path":
            words.append(f"{setting.flag}={value}")
        else:
            words += [setting.flag, repr(value) if isinstance(value, float) else str(value)]
    if constant_lr and config.lr_decay > 0:
        words.append("--constant-lr")
    if threads is not None:
        words += ["--threads", str(threads)]
    return shlex.join(words)
