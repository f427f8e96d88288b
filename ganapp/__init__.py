"""ganapp: train a GAN live in the browser and explore its latent space.

The package is laid out by layer, each importing only the layers before it: gan (GAN code), engine (training many
runs), run (one run), service (the process boundary), host (many visitors), ui (the Gradio pages). See
docs/architecture.md.
"""
