"""The host sets its limits through the environment: GANAPP_MAX_RUNS, and GANAPP_MAX_SESSIONS, its name before runs
were called runs, which hosts may still set."""

import pytest

import app as app_module


def test_max_runs_is_read_by_its_name_and_by_its_old_one(monkeypatch):
    monkeypatch.delenv("GANAPP_MAX_RUNS", raising=False)
    monkeypatch.setenv("GANAPP_MAX_SESSIONS", "7")
    assert app_module.host_limits().max_runs == 7
    monkeypatch.setenv("GANAPP_MAX_RUNS", "9")  # the new name wins
    assert app_module.host_limits().max_runs == 9
    monkeypatch.setenv("GANAPP_MAX_RUNS", "lots")
    with pytest.raises(SystemExit, match="GANAPP_MAX_RUNS"):
        app_module.host_limits()
