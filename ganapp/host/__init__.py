"""Serving many visitors: the registry of visitors and their pages, admission and the host's limits, autosaves,
the classroom and the teacher's gate. Imports every layer but ganapp.ui."""
