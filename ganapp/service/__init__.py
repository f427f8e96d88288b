"""The process boundary: the training worker's server and the web process's client of it. Imports ganapp.gan,
ganapp.engine.engine and ganapp.run."""
