"""Random architectures and formatting options, each summarised by lamina and by torchinfo."""

from __future__ import annotations

import torch
import torchinfo
from hypothesis import given, settings
from hypothesis import strategies as st

import lamina
import lamina.nn

COLUMNS = ("input_size", "output_size", "num_params", "params_percent", "kernel_size",
           "mult_adds", "trainable")
ROWS = ("depth", "var_names", "ascii_only", "hide_recursive_layers")
ACTIVATIONS = ("ReLU", "Tanh", "GELU", "Sigmoid", "Identity")


@st.composite
def blocks(draw, width, depth=0):
    """A list of layer specs that keep the feature count `width` (nested up to depth 2)."""
    specs = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("linear", "act", "norm", "nest", "drop")
                                    if depth < 2 else ("linear", "act", "norm", "drop")))
        if kind == "linear":
            specs.append(("Linear", width, draw(st.booleans()), draw(st.booleans())))
        elif kind == "act":
            specs.append((draw(st.sampled_from(ACTIVATIONS)),))
        elif kind == "norm":
            specs.append(("LayerNorm", width))
        elif kind == "drop":
            specs.append(("Dropout",))
        else:
            specs.append(("Sequential", draw(blocks(width, depth + 1))))
    return specs


def build(nn, specs):
    layers = []
    for spec in specs:
        if spec[0] == "Linear":
            layer = nn.Linear(spec[1], spec[1], bias=spec[2])
            if spec[3]:
                layer.weight.requires_grad_(False)
        elif spec[0] == "LayerNorm":
            layer = nn.LayerNorm(spec[1])
        elif spec[0] == "Dropout":
            layer = nn.Dropout(0.1)
        elif spec[0] == "Sequential":
            layer = build(nn, spec[1])
        else:
            layer = getattr(nn, spec[0])()
        layers.append(layer)
    return nn.Sequential(*layers)


@settings(max_examples=25)
@given(width=st.integers(1, 6), batch=st.lists(st.integers(1, 3), max_size=2),
       data=st.data())
def test_random_models_and_options_match_torchinfo(width, batch, data):
    specs = data.draw(blocks(width))
    columns = data.draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=4,
                                 unique=True))
    options = dict(
        input_size=(*batch, width), col_names=columns,
        row_settings=data.draw(st.lists(st.sampled_from(ROWS), max_size=3, unique=True)),
        depth=data.draw(st.integers(-1, 4)), col_width=data.draw(st.integers(6, 30)),
        verbose=0)
    if data.draw(st.booleans()):
        options["batch_dim"] = 0
    theirs = torchinfo.summary(build(torch.nn, specs), **options)
    model = build(lamina.nn, specs)
    ours = lamina.summary(model, **options)
    assert str(ours) == str(theirs)
    assert str(lamina.summary(model, device="meta", **options)) == str(theirs)
    assert (ours.total_params, ours.trainable_params, ours.total_mult_adds) == (
        theirs.total_params, theirs.trainable_params, theirs.total_mult_adds)
