"""The placement rule of a cluster of engines (ganapp.service.placement): a new run joins an engine where its shape
trains, else the least-loaded engine, ties by name. No Ray needed."""

from __future__ import annotations

import pytest

from conftest import tiny_2d, tiny_image
from ganapp.service.placement import place, shape_key


def test_a_run_goes_where_its_shape_already_trains_even_when_that_engine_is_busier():
    key = shape_key(tiny_2d())
    engines = {"a": (0, set()), "b": (5, {key}), "c": (1, {"other"})}
    assert place(engines, key) == "b"


def test_among_engines_of_its_shape_the_least_loaded_then_the_first_by_name():
    key = shape_key(tiny_2d())
    assert place({"a": (3, {key}), "b": (2, {key}), "c": (0, set())}, key) == "b"
    assert place({"b": (2, {key}), "a": (2, {key})}, key) == "a"


def test_a_new_shape_or_a_lone_run_goes_to_the_least_loaded_engine_ties_by_name():
    engines = {"b": (1, set()), "c": (1, set()), "a": (2, {None})}
    assert place(engines, shape_key(tiny_2d())) == "b"
    assert place(engines, None) == "b"  # a run that trains alone joins no stack, even beside other lone runs
    assert place({"x": (0, set()), "w": (0, set())}, None) == "w"


def test_the_shape_key_ignores_what_may_differ_within_a_stack_and_lone_runs_have_none():
    assert shape_key(tiny_2d()) == shape_key(tiny_2d(seed=7, lr_g=1e-3, lr_d=5e-4))
    assert shape_key(tiny_2d()) != shape_key(tiny_2d(g_width=16))
    assert shape_key(tiny_image()) is None  # a DCGAN trains alone
    assert shape_key(tiny_2d(g_ema=0.99)) is None


def test_no_engine_is_a_clear_error():
    with pytest.raises(ValueError, match="engines is empty"):
        place({}, None)
