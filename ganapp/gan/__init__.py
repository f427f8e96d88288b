"""GAN code: configs, data, G and D, losses, one trainer, checkpoints, latent tools, metrics. Pure: it starts
no thread, and imports nothing else of ganapp."""
