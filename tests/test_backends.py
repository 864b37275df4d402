"""lamina.backends, lamina.accelerator and the process-wide switches, against torch."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import lamina


def test_cudnn_settings_are_plain_settable_attributes():
    import lamina.backends.cudnn as cudnn

    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(lamina.backends.cudnn, name) == getattr(torch.backends.cudnn, name)
    before = cudnn.deterministic, cudnn.benchmark
    try:
        lamina.backends.cudnn.deterministic = True
        lamina.backends.cudnn.benchmark = False
        assert cudnn.deterministic is True and cudnn.benchmark is False
    finally:
        cudnn.deterministic, cudnn.benchmark = before
    assert lamina.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False


def test_device_queries_answer_like_a_cpu_only_torch():
    assert lamina.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert lamina.backends.mps.is_built() is False
    assert lamina.backends.cuda.is_built() is torch.backends.cuda.is_built() is False
    assert lamina.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    assert lamina.accelerator.is_available() is torch.accelerator.is_available() is False
    assert lamina.accelerator.current_accelerator() is torch.accelerator.current_accelerator()
    assert lamina.accelerator.device_count() == torch.accelerator.device_count() == 0


def test_backends_reachable_after_import_alone():
    source = ("import lamina; import lamina.backends.cudnn as c; c.benchmark = True; "
              "print(lamina.backends.cudnn.benchmark, lamina.accelerator.is_available())")
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.split() == ["True", "False"], done.stderr


def test_num_threads_is_recorded():
    before = lamina.get_num_threads()
    assert isinstance(before, int) and before >= 1
    try:
        lamina.set_num_threads(3)
        assert lamina.get_num_threads() == 3
    finally:
        lamina.set_num_threads(before)
    for bad in (0, -1):
        with pytest.raises(RuntimeError):
            torch.set_num_threads(bad)
        with pytest.raises(RuntimeError):
            lamina.set_num_threads(bad)


def test_deterministic_switches():
    assert (lamina.are_deterministic_algorithms_enabled()
            is torch.are_deterministic_algorithms_enabled() is False)
    try:
        lamina.use_deterministic_algorithms(True, warn_only=True)
        assert lamina.are_deterministic_algorithms_enabled() is True
        assert lamina.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        lamina.use_deterministic_algorithms(False)
    assert lamina.is_deterministic_algorithms_warn_only_enabled() is False


def test_float32_matmul_precision():
    assert lamina.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    try:
        lamina.set_float32_matmul_precision("high")
        assert lamina.get_float32_matmul_precision() == "high"
    finally:
        lamina.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError):
        lamina.set_float32_matmul_precision("fast")


def test_compile_returns_the_model_unchanged():
    model = lamina.nn.Linear(2, 1)
    assert lamina.compile(model) is model
    assert lamina.compile(model, mode="reduce-overhead", fullgraph=True) is model

    @lamina.compile(dynamic=True)
    def double(x):
        return 2 * x

    assert double(3) == 6
