"""Training many runs at once: the engine's fair share, same-shape stacks, and the process's training settings.
Imports only ganapp.gan."""
