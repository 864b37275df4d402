"""Errors that name the layer: the check helpers, and the path containers add on the way out.

Torch is the oracle for the exception *type*: every failing case here also fails in torch, and
ours must be catchable the same way. The message is ours, so it is checked for what it names.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch

import lamina
import lamina.nn as lnn
from lamina.nn.modules._errors import (
    DtypeError,
    ShapeError,
    expect_dim,
    expect_dtype,
    expect_last_dim,
    expect_ndim,
)

needs = {name: pytest.mark.skipif(not hasattr(lnn, name), reason=f"nn.{name} has not landed")
         for name in ("Linear", "ReLU", "Flatten", "Conv2d")}


class Probe(lnn.Module):
    """A layer that checks its input with the helpers, like a real one would."""

    def __init__(self, features=4):
        super().__init__()
        self.features = features

    def forward(self, input):
        expect_last_dim(self, input, self.features, hint="resize the input")
        return input

    def extra_repr(self):
        return f"features={self.features}"


class Widen(lnn.Module):
    def forward(self, input):
        return lamina.cat([input, input], dim=-1)


# ---------------------------------------------------------------------------- helpers alone
def test_helpers_return_none_when_the_input_fits():
    x = lamina.zeros(2, 3, 4, 5)
    probe = Probe()
    assert expect_last_dim(probe, x, 5) is None
    assert expect_dim(probe, x, 1, 3) is None
    assert expect_dim(probe, x, -3, 3) is None
    assert expect_ndim(probe, x, 4) is None
    assert expect_ndim(probe, x, (3, 4)) is None
    assert expect_dtype(probe, x, lamina.float32) is None


def test_expect_last_dim_reports_layer_expected_got_and_hint():
    probe = Probe(4)
    with pytest.raises(RuntimeError) as info:
        probe(lamina.zeros(2, 5))
    error = info.value
    assert type(error) is ShapeError and isinstance(error, RuntimeError)
    assert error.module is probe and error.got == (2, 5) and error.hint == "resize the input"
    assert str(error) == ("Probe(features=4): expected input (*, 4), got (2, 5). "
                          "Hint: resize the input")
    assert error.path == "Probe"


def test_expect_last_dim_on_a_zero_dim_input():
    with pytest.raises(ShapeError, match=r"expected input \(\*, 4\), got \(\)"):
        expect_last_dim(Probe(), lamina.tensor(1.0), 4)


@pytest.mark.parametrize("dim,text", [(1, r"\(\*, 3, \*, \*\) with 3 channels at dim 1"),
                                      (-3, r"\(\*, 3, \*, \*\) with 3 channels at dim 1"),
                                      (5, r"\(\*, \*, \*, \*, \*, 3\) with 3 channels at dim 5")])
def test_expect_dim_names_the_dimension(dim, text):
    with pytest.raises(ShapeError, match=text + r", got \(2, 4, 8, 8\)"):
        expect_dim(Probe(), lamina.zeros(2, 4, 8, 8), dim, 3, name="channels")


def test_expect_ndim_lists_the_allowed_dims():
    with pytest.raises(ShapeError, match=r"expected input with 3 or 4 dimensions, got \(2, 3\)"):
        expect_ndim(Probe(), lamina.zeros(2, 3), (3, 4))
    with pytest.raises(ShapeError, match=r"with 2 dimensions, got \(1, 2, 3\)"):
        expect_ndim(Probe(), lamina.zeros(1, 2, 3), 2)


def test_expect_dtype_suggests_a_conversion():
    with pytest.raises(RuntimeError) as info:
        expect_dtype(Probe(), lamina.zeros(2, dtype=lamina.float64), lamina.float32)
    assert type(info.value) is DtypeError
    message = str(info.value)
    assert "expected input of dtype lamina.float32, got lamina.float64" in message
    assert "Hint: convert the input with .to(lamina.float32)" in message


# ---------------------------------------------------------------------------- paths
def test_path_through_nested_containers_with_source():
    model = lnn.Sequential(Probe(4), lnn.Sequential(OrderedDict(widen=Widen(), probe=Probe(4))))
    with pytest.raises(ShapeError) as info:
        model(lamina.zeros(1, 4))
    assert str(info.value) == (
        "Sequential[1].probe Probe(features=4): expected input (*, 4), got (1, 8) — the output "
        "of Sequential[1].widen Widen(). Hint: resize the input")
    assert info.value.path == "Sequential[1].probe"


def test_first_layer_of_an_inner_container_names_the_outer_source():
    model = lnn.Sequential(Widen(), lnn.Sequential(Probe(4), Probe(4)))
    with pytest.raises(ShapeError, match=r"^Sequential\[1\]\[0\] Probe\(features=4\): .* the "
                                         r"output of Sequential\[0\] Widen\(\)\."):
        model(lamina.zeros(1, 4))


def test_custom_module_attributes_appear_in_the_path():
    class Net(lnn.Module):
        def __init__(self):
            super().__init__()
            self.features = lnn.Sequential(Probe(4), Widen(), Probe(4))

        def forward(self, x):
            return self.features(x)

    with pytest.raises(ShapeError, match=r"^Net\.features\[2\] Probe.* the output of "
                                         r"Net\.features\[1\] Widen\(\)"):
        Net()(lamina.zeros(3, 4))


def test_a_second_failure_gets_a_fresh_path():
    model = lnn.Sequential(lnn.Sequential(Probe(4)))
    for _ in range(2):
        with pytest.raises(ShapeError) as info:
            model(lamina.zeros(1, 3))
        assert str(info.value).startswith("Sequential[0][0] Probe(features=4): ")
    assert model(lamina.zeros(1, 4)).shape == (1, 4)


def test_foreign_errors_keep_their_type_and_chain_the_original():
    class Picky(lnn.Module):
        def forward(self, input):
            raise ValueError("negative inputs are not allowed")

    model = lnn.Sequential(Probe(2), lnn.Sequential(Widen(), Picky()))
    with pytest.raises(ValueError) as info:
        model(lamina.zeros(1, 2))
    error = info.value
    assert type(error) is ValueError
    assert str(error) == ("Sequential[1][1] Picky(): negative inputs are not allowed — the "
                          "output of Sequential[1][0] Widen()")
    original = error.__cause__
    assert type(original) is ValueError and str(original) == "negative inputs are not allowed"


def test_other_error_types_pass_through_untouched():
    class Missing(lnn.Module):
        def forward(self, input):
            raise KeyError("weights")

    class Custom(Exception):
        pass

    class Raises(lnn.Module):
        def forward(self, input):
            raise Custom("mine")

    with pytest.raises(KeyError) as info:
        lnn.Sequential(Missing())(1)
    assert info.value.args == ("weights",) and info.value.__cause__ is None
    with pytest.raises(Custom, match="^mine$"):
        lnn.Sequential(lnn.Sequential(Raises()))(1)


def test_not_implemented_forward_keeps_torchs_message():
    with pytest.raises(NotImplementedError) as info:
        lnn.Sequential(lnn.Module())(1)
    assert str(info.value) == 'Module [Module] is missing the required "forward" function'


# ---------------------------------------------------------------------------- with real layers
def layer_pair(build):
    return build(torch.nn), build(lnn)


@needs["Linear"]
@needs["ReLU"]
@needs["Flatten"]
def test_wrong_linear_width_two_containers_deep():
    def build(nn):
        return nn.Sequential(OrderedDict(
            features=nn.Sequential(nn.Linear(8, 16), nn.ReLU(),
                                   nn.Sequential(nn.Flatten(), nn.Linear(32, 4))),
        ))

    theirs, ours = layer_pair(build)
    with pytest.raises(RuntimeError):
        theirs(torch.zeros(2, 8))
    with pytest.raises(RuntimeError) as info:
        ours(lamina.zeros(2, 8))
    message = str(info.value)
    assert message.startswith(
        "Sequential.features[2][1] Linear(in_features=32, out_features=4, bias=True): "
        "expected input (*, 32), got (2, 16) — the output of Sequential.features[2][0] "
        "Flatten(start_dim=1, end_dim=-1)")
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, RuntimeError)


@needs["Linear"]
@needs["ReLU"]
@needs["Flatten"]
def test_the_issue_example_flatten_then_linear():
    def build(nn):
        return nn.Sequential(*[nn.ReLU() for _ in range(6)], nn.Flatten(), nn.Linear(2048, 10))

    theirs, ours = layer_pair(build)
    with pytest.raises(RuntimeError):
        theirs(torch.zeros(1, 512))
    with pytest.raises(RuntimeError, match=(
            r"^Sequential\[7\] Linear\(in_features=2048, out_features=10, bias=True\): "
            r"expected input \(\*, 2048\), got \(1, 512\) — the output of "
            r"Sequential\[6\] Flatten\(start_dim=1, end_dim=-1\)")):
        ours(lamina.zeros(1, 512))


@needs["Linear"]
@needs["ReLU"]
def test_wrong_dtype_two_containers_deep():
    def build(nn):
        return nn.Sequential(nn.ReLU(), nn.Sequential(nn.ReLU(), nn.Sequential(nn.Linear(3, 2))))

    theirs, ours = layer_pair(build)
    with pytest.raises(RuntimeError):
        theirs(torch.zeros(4, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError) as info:
        ours(lamina.zeros(4, 3, dtype=lamina.float64))
    message = str(info.value)
    assert message.startswith("Sequential[1][1][0] Linear(in_features=3, out_features=2, "
                              "bias=True): ")
    assert "float64" in message and "float32" in message
    assert ours(lamina.zeros(4, 3)).dtype == lamina.float32


@needs["Conv2d"]
@needs["ReLU"]
def test_wrong_conv_channels_two_containers_deep():
    def build(nn):
        return nn.Sequential(OrderedDict(
            stem=nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()),
            body=nn.Sequential(nn.Sequential(nn.Conv2d(4, 8, 3))),
        ))

    theirs, ours = layer_pair(build)
    with pytest.raises(RuntimeError):
        theirs(torch.zeros(1, 3, 12, 12))
    with pytest.raises(RuntimeError) as info:
        ours(lamina.zeros(1, 3, 12, 12))
    message = str(info.value)
    assert message.startswith("Sequential.body[0][0] Conv2d(4, 8, kernel_size=(3, 3), "
                              "stride=(1, 1)): ")
    assert "got (1, 8, 10, 10) — the output of Sequential.stem[1] ReLU()." in message


def test_lazy_hint_is_called_only_on_failure():
    calls = []

    def hint():
        calls.append(1)
        return "computed"

    probe = Probe(4)
    expect_last_dim(probe, lamina.zeros(4), 4, hint=hint)
    assert calls == []
    with pytest.raises(ShapeError, match="Hint: computed$"):
        expect_last_dim(probe, lamina.zeros(3), 4, hint=hint)
    assert calls == [1]


def test_a_non_tensor_input_is_a_type_error_naming_the_layer():
    with pytest.raises(TypeError):
        torch.nn.Sequential(torch.nn.Linear(2, 2))([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^Sequential\[0\] Probe\(features=4\): expected a "
                                        r"Tensor as input, got list$"):
        lnn.Sequential(Probe(4))([1.0, 2.0])


def test_source_inside_a_preceding_container_names_its_last_layer():
    model = lnn.Sequential(lnn.Sequential(Probe(4), lnn.Sequential(Widen(), Probe(8))), Probe(4))
    with pytest.raises(ShapeError, match=r"^Sequential\[1\] Probe\(features=4\): expected input "
                                         r"\(\*, 4\), got \(2, 8\) — the output of "
                                         r"Sequential\[0\]\[1\]\[1\] Probe\(features=8\)\."):
        model(lamina.zeros(2, 4))


def test_layers_looped_over_in_a_module_list_are_named():
    class Tower(lnn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = lnn.ModuleList([Probe(4), Widen(), Probe(4)])
            self.heads = lnn.ModuleDict({"main": Probe(8)})

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.heads["main"](x)

    with pytest.raises(ShapeError, match=r"^Tower\.blocks\[2\] Probe\(features=4\): expected "
                                         r"input \(\*, 4\), got \(1, 8\)\."):
        Tower()(lamina.zeros(1, 4))
    tower = Tower()
    tower.blocks[2] = Probe(8)
    tower.heads["main"] = Probe(3)
    with pytest.raises(ShapeError, match=r"^Tower\.heads\.main Probe\(features=3\)"):
        tower(lamina.zeros(1, 4))
