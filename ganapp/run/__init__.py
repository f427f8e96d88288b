"""One run: a state machine over a trainer, what its readers see (the publisher, its history), lessons and slow
motion. Imports only ganapp.gan and ganapp.engine.engine."""
