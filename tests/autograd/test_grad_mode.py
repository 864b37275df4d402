"""no_grad, enable_grad, set_grad_enabled and inference_mode as context managers and decorators."""

from __future__ import annotations

import pytest
import torch

import lamina


def recorded() -> bool:
    return (lamina.ones(1, requires_grad=True) * 2).requires_grad


def test_context_managers_switch_recording_and_restore_it():
    with lamina.no_grad():
        assert not recorded() and not lamina.is_grad_enabled()
        with lamina.enable_grad():
            assert recorded()
        assert not recorded()
    assert recorded()
    with lamina.inference_mode():
        assert not recorded() and lamina.is_inference_mode_enabled()
    with lamina.inference_mode(False):
        assert recorded() and not lamina.is_inference_mode_enabled()
    assert recorded()


def test_no_grad_is_not_inference_mode_like_torch():
    with lamina.no_grad(), torch.no_grad():
        assert lamina.is_inference_mode_enabled() == torch.is_inference_mode_enabled()


def test_set_grad_enabled_acts_at_once_and_as_a_context_manager():
    try:
        lamina.set_grad_enabled(False)
        assert not recorded()
    finally:
        lamina.set_grad_enabled(True)
    with lamina.set_grad_enabled(False):
        assert not recorded()
    assert recorded()


@pytest.mark.parametrize("switch", [lamina.no_grad, lamina.no_grad(), lamina.inference_mode,
                                    lamina.inference_mode()],
                         ids=["no_grad", "no_grad()", "inference_mode", "inference_mode()"])
def test_switches_decorate_functions(switch):
    @switch
    def f():
        return recorded()

    assert recorded()
    assert f() is False
    assert recorded()


def test_set_grad_enabled_decorates_without_changing_the_mode_outside():
    @lamina.set_grad_enabled(False)
    def f():
        return recorded()

    assert recorded()
    assert f() is False
    assert recorded()


def test_enable_grad_decorates_inside_no_grad():
    @lamina.enable_grad
    def f():
        return recorded()

    with lamina.no_grad():
        assert f() is True
        assert not recorded()


def test_mode_is_restored_when_the_block_raises():
    with pytest.raises(ValueError):
        with lamina.no_grad():
            raise ValueError("boom")
    assert lamina.is_grad_enabled()


def test_one_instance_can_be_reentered():
    switch = lamina.no_grad()
    with switch:
        with lamina.enable_grad():
            with switch:
                assert not recorded()
            assert recorded()
    assert recorded()


def test_decorated_generator_runs_in_the_mode_at_every_step():
    @lamina.no_grad()
    def steps(n):
        for _ in range(n):
            yield recorded()

    generator = steps(3)
    assert recorded()
    assert next(generator) is False
    assert recorded()  # the mode is back between steps
    assert list(generator) == [False, False]
    assert recorded()


def test_decorated_empty_generator_just_stops():
    @lamina.no_grad()
    def nothing():
        return
        yield

    assert list(nothing()) == []
