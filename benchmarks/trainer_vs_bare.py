"""Trainer steps/s ÷ a bare PyTorch loop on the same G, D, batch and loss (target ≥ 0.97).

The bare loop is written as pytorch/examples dcgan/main.py writes it: real batch, fake = G(z), D update on real and
fake.detach(), G update on D(fake), metrics computed as tensors. Both run in this process, interleaved, on the same
machine, and the script prints the ratio of the medians.

    python benchmarks/trainer_vs_bare.py [--dataset mnist_10k] [--model dcgan] [--seconds 5] [--rounds 3]

On a GPU, the comparison issue 3 asks for (the Trainer with its CUDA levers against the plain loop, on the DCGAN of
pytorch/examples: widths 64, batch 128, 64×64 images):

    python benchmarks/trainer_vs_bare.py --device cuda --dataset mnist --image-size 64 --width 64 \
        --batch-size 128 --bf16

The bare loop always runs in float32 with plain Adam, as the example does.
"""

from __future__ import annotations

import argparse

import torch

from _common import interleaved, steps_per_s
from ganapp.gan.config import GANConfig
from ganapp.gan.losses import get_loss
from ganapp.gan.trainer import Trainer, build_models


def bare_loop(config: GANConfig, device: torch.device):
    """A closure doing one plain PyTorch GAN step per call, with its own G, D and data."""
    netG, netD = build_models(config, device)
    loss = get_loss(config.loss)
    optD = torch.optim.Adam(netD.parameters(), lr=config.lr_d, betas=(config.beta1, config.beta2))
    optG = torch.optim.Adam(netG.parameters(), lr=config.lr_g, betas=(config.beta1, config.beta2))
    source = Trainer(config).data  # the same real data, preloaded on the device
    B, z_dim = config.batch_size, config.z_dim

    def step():
        for _ in range(config.n_critic):
            real = source.next(B)
            noise = torch.randn(B, z_dim, device=device)
            fake = netG(noise)
            optD.zero_grad(set_to_none=True)
            out_real = netD(real)
            out_fake = netD(fake.detach())
            errD = loss.d_loss(out_real, out_fake)
            errD.backward()
            optD.step()
        optG.zero_grad(set_to_none=True)
        errG = loss.g_loss(netD(fake))
        errG.backward()
        optG.step()
        return torch.stack([errD.detach(), errG.detach(), torch.sigmoid(out_real).mean().detach(),
                            torch.sigmoid(out_fake).mean().detach()])

    return step


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist_10k")
    p.add_argument("--model", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--width", type=int, help="g_width and d_width")
    p.add_argument("--image-size", type=int, choices=(28, 32, 64))
    p.add_argument("--bf16", action="store_true", help="the Trainer's forward passes under bfloat16 autocast")
    a = p.parse_args()
    overrides = {"device": a.device, "bf16": a.bf16} | ({"model": a.model} if a.model else {})
    if a.batch_size:
        overrides["batch_size"] = a.batch_size
    if a.width:
        overrides.update(g_width=a.width, d_width=a.width)
    if a.image_size:
        overrides["image_size"] = a.image_size
    config = GANConfig.default_for(a.dataset, **overrides)
    trainer = Trainer(config)
    bare = bare_loop(config.replace(bf16=False), trainer.device)
    sync = (lambda: torch.cuda.synchronize()) if trainer.device.type == "cuda" else (lambda: None)
    for _ in range(10):  # warm-up
        trainer.train_step()
        bare()
    med = interleaved({"trainer": lambda: steps_per_s(trainer.train_step, a.seconds, sync),
                       "bare": lambda: steps_per_s(bare, a.seconds, sync)}, a.rounds)
    print(f"config: {config.dataset} {config.model} {config.image_size}px width {config.g_width} batch "
          f"{config.batch_size} bf16 {config.bf16} on {trainer.device}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"Trainer: {med['trainer']:.1f} steps/s   bare loop: {med['bare']:.1f} steps/s")
    print(f"ratio Trainer / bare = {med['trainer'] / med['bare']:.3f}  (target: >= 0.97 on the CPU, >= 2 on CUDA)")


if __name__ == "__main__":
    main()
