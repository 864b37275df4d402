"""The golden set: one architecture per case, built the same way from torch.nn or lamina.nn.

Each builder takes `(nn, lib)` (torch.nn and torch, or lamina.nn and lamina), so the torch and
lamina models are the same code; `args(lib)` gives the summary arguments (tensors made by lib).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Case:
    name: str
    build: Callable
    args: Callable = field(default=lambda lib: {})
    meta: bool = True  # also compared on the meta device


def seed_mlp(nn, lib):
    return nn.Sequential(nn.Linear(2, 20), nn.ReLU(), nn.Linear(20, 12), nn.ReLU(),
                         nn.Linear(12, 1), nn.Sigmoid())


def seed_my_model(nn, lib):
    class MyModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 20)
            self.fc2 = nn.Linear(20, 12)
            self.fc3 = nn.Linear(12, 1)
            self.relu = nn.ReLU()
            self.sigmoid = nn.Sigmoid()

        def forward(self, x):
            x = self.relu(self.fc1(x))
            x = self.relu(self.fc2(x))
            return self.sigmoid(self.fc3(x))

    return MyModel()


def seed_softmax_mlp(nn, lib):
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10), nn.Softmax(dim=1))


def seed_cnn(nn, lib):
    return nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 10), nn.Softmax(dim=1))


def seed_bn_mlp(nn, lib):
    return nn.Sequential(
        nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10), nn.Softmax(dim=1))


def small_cnn(nn, lib):
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 13 * 13, 10))


def frozen_net(nn, lib):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(6, 12), nn.Tanh(),
                                         nn.Sequential(nn.Linear(12, 12), nn.Tanh()))
            self.act = nn.ReLU()
            self.head = nn.Linear(12, 3)

        def forward(self, x):
            x = self.act(self.encoder(x))
            return self.act(self.head(x))

    net = Net()
    for p in net.encoder[0].parameters():
        p.requires_grad = False
    return net


def tower(nn, lib):
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.stages = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3)])
            self.drop = nn.Dropout(0.1)

        def forward(self, x):
            for stage in self.stages:
                x = self.drop(stage(x))
            return x

    return Tower()


def linear_relu(nn, lib):
    return nn.Sequential(nn.Linear(3, 2), nn.ReLU())


def two_inputs(nn, lib):
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.left = nn.Linear(5, 4)
            self.right = nn.Linear(3, 4)
            self.out = nn.Linear(4, 2)

        def forward(self, x, y, scale=1.0):
            return self.out(self.left(x) + self.right(y) * scale)

    return TwoInputs()


def embedding_model(nn, lib):
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(50, 8)
            self.norm = nn.LayerNorm(8)
            self.proj = nn.Linear(8, 5)

        def forward(self, tokens):
            return self.proj(self.norm(self.embed(tokens)))

    return Tagger()


def tied_weights(nn, lib):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encode = nn.Linear(6, 6, bias=False)
            self.decode = nn.Linear(6, 6)
            self.decode.weight = self.encode.weight

        def forward(self, x):
            return self.decode(self.encode(x))

    return Tied()


def same_module_twice(nn, lib):
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            lin = nn.Linear(4, 4)
            self.enc = lin
            self.dec = lin

        def forward(self, x):
            return self.dec(self.enc(x))

    return Twice()


def long_names(nn, lib):
    class SqueezeExcitationGatedResidualUnit(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate = nn.Sequential(nn.Linear(8, 8), nn.Sigmoid())

        def forward(self, x):
            return x * self.gate(x)

    return nn.Sequential(SqueezeExcitationGatedResidualUnit(),
                         nn.Sequential(nn.Sequential(nn.Sequential(nn.Linear(8, 2)))))


def own_parameters(nn, lib):
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(lib.ones(4))
            self.my_weight = nn.Parameter(lib.ones(4, 4))
            self.body = nn.Sequential(nn.Linear(4, 4), nn.GELU())
            self.unused = nn.Linear(4, 100)

        def forward(self, x):
            return self.body(x @ self.my_weight) * self.scale

    return nn.Sequential(Scaled(), nn.Linear(4, 1))


def returns_tuple_and_dict(nn, lib):
    class Split(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(6, 6)

        def forward(self, x):
            y = self.lin(x)
            return y[:, :2], y[:, 2:]

    class Named(nn.Module):
        def forward(self, parts):
            return {"first": parts[0], "second": parts[1]}

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.split = Split()
            self.named = Named()
            self.head = nn.Linear(4, 3)

        def forward(self, x):
            parts = self.named(self.split(x))
            return self.head(parts["second"]), None

    return Model()


def activations(nn, lib):
    return nn.Sequential(
        nn.Linear(10, 16), nn.Tanh(), nn.GELU(), nn.ELU(), nn.LeakyReLU(0.1), nn.Softplus(),
        nn.SiLU(), nn.Hardtanh(), nn.ReLU6(), nn.Mish(), nn.Hardswish(), nn.Hardsigmoid(),
        nn.SELU(), nn.CELU(), nn.Softsign(), nn.PReLU(), nn.Identity(),
        nn.Linear(16, 4), nn.LogSoftmax(dim=-1))


def norms(nn, lib):
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.GroupNorm(2, 8),
                         nn.InstanceNorm2d(8, affine=True), nn.ReLU(),
                         nn.AvgPool2d((2, 3)), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Dropout(0.2), nn.Linear(8, 2))


def conv1d_model(nn, lib):
    return nn.Sequential(nn.Conv1d(2, 6, 5), nn.ReLU(), nn.MaxPool1d(2), nn.AvgPool1d(2),
                         nn.Flatten(), nn.Linear(6 * 4, 3))


def dict_container(nn, lib):
    class Router(nn.Module):
        def __init__(self):
            super().__init__()
            self.branches = nn.ModuleDict({"a": nn.Linear(4, 4), "b": nn.Linear(4, 4)})
            self.mix = nn.Sequential(OrderedDict([("fc", nn.Linear(4, 2)), ("act", nn.Tanh())]))

        def forward(self, x):
            return self.mix(self.branches["a"](x) + self.branches["b"](x))

    return Router()


def big_linear(nn, lib):
    return nn.Sequential(nn.Linear(2500, 2500), nn.ReLU())


def upsampling_decoder(nn, lib):
    return nn.Sequential(
        nn.Unflatten(1, (8, 2, 2)), nn.ConvTranspose2d(8, 8, 2, stride=2), nn.Dropout2d(0.1),
        nn.PixelShuffle(2), nn.PixelUnshuffle(2), nn.Upsample(scale_factor=2, mode="nearest"),
        nn.UpsamplingBilinear2d(scale_factor=2), nn.UpsamplingNearest2d(size=(20, 20)),
        nn.AdaptiveMaxPool2d((5, 4)), nn.Conv2d(8, 2, 1))


def sequence_1d(nn, lib):
    return nn.Sequential(
        nn.Conv1d(4, 6, 3, padding=1), nn.Tanhshrink(), nn.ConvTranspose1d(6, 4, 4, stride=2),
        nn.Dropout1d(0.2), nn.MaxPool1d(3, stride=2), nn.AlphaDropout(0.1),
        nn.AdaptiveAvgPool1d(6), nn.Threshold(0.1, 0.0), nn.AdaptiveMaxPool1d(3),
        nn.Flatten(), nn.Linear(12, 5), nn.Softmin(dim=1))


def bilinear_and_parameter_containers(nn, lib):
    class Mixer(nn.Module):
        def __init__(self):
            super().__init__()
            self.bilinear = nn.Bilinear(4, 3, 5)
            self.gains = nn.ParameterList([nn.Parameter(lib.ones(5)), nn.Parameter(lib.ones(5))])
            self.offsets = nn.ParameterDict({"a": nn.Parameter(lib.zeros(5))})

        def forward(self, x, y):
            out = self.bilinear(x, y) * self.gains[0] * self.gains[1]
            return out + self.offsets["a"]

    return Mixer()


def with_losses(nn, lib):
    class WithLoss(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(6, 4), nn.LogSoftmax(dim=1))
            self.nll = nn.NLLLoss()
            self.cross_entropy = nn.CrossEntropyLoss(label_smoothing=0.1)
            self.mse = nn.MSELoss(reduction="none")
            self.huber = nn.HuberLoss()

        def forward(self, x, target):
            scores = self.net(x)
            extra = self.mse(scores, scores.detach()).mean() + self.huber(scores, scores * 0)
            return self.nll(scores, target) + self.cross_entropy(scores, target) + extra

    return WithLoss()


def direct_forward_call(nn, lib):
    class Bypass(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(4, 4)
            self.out = nn.Linear(4, 2)

        def forward(self, x):
            return self.out(self.hidden.forward(x))  # .forward skips hooks: no row for it

    return Bypass()


def _int64(lib):
    return lib.int64


CASES = [
    Case("seed_mlp", seed_mlp, lambda lib: dict(input_size=(2,))),
    Case("seed_my_model", seed_my_model, lambda lib: dict(input_size=(2,))),
    Case("seed_my_model_batched", seed_my_model, lambda lib: dict(input_size=(3, 2))),
    Case("seed_softmax_mlp", seed_softmax_mlp, lambda lib: dict(input_size=(1, 784))),
    Case("seed_cnn", seed_cnn, lambda lib: dict(input_size=(1, 3, 32, 32))),
    Case("seed_cnn_all_columns", seed_cnn, lambda lib: dict(
        input_size=(2, 3, 32, 32), col_names=("input_size", "output_size", "num_params",
                                               "params_percent", "kernel_size", "mult_adds",
                                               "trainable"))),
    Case("seed_bn_mlp", seed_bn_mlp, lambda lib: dict(input_size=(1, 784))),
    Case("seed_bn_mlp_train", seed_bn_mlp, lambda lib: dict(input_size=(4, 784), mode="train")),
    Case("small_cnn_all_columns", small_cnn, lambda lib: dict(
        input_size=(2, 1, 28, 28), col_names=("input_size", "output_size", "num_params",
                                               "params_percent", "kernel_size", "mult_adds",
                                               "trainable"))),
    Case("frozen_var_names", frozen_net, lambda lib: dict(
        input_size=(4, 6), row_settings=("depth", "var_names"),
        col_names=("output_size", "num_params", "trainable"))),
    Case("frozen_depth1", frozen_net, lambda lib: dict(
        input_size=(4, 6), depth=1, col_names=("output_size", "num_params", "mult_adds"))),
    Case("frozen_no_input", frozen_net),
    Case("frozen_no_input_percent", frozen_net, lambda lib: dict(
        col_names=("num_params", "params_percent", "kernel_size", "trainable"))),
    Case("frozen_depth0", frozen_net, lambda lib: dict(input_size=(4, 6), depth=0)),
    Case("frozen_depth2_ascii", frozen_net, lambda lib: dict(
        input_size=(4, 6), depth=2, row_settings=("ascii_only", "depth"))),
    Case("frozen_var_names_only", frozen_net, lambda lib: dict(
        input_size=(4, 6), row_settings=("var_names",))),
    Case("frozen_no_row_settings", frozen_net, lambda lib: dict(
        input_size=(4, 6), row_settings=())),
    Case("frozen_hide_recursive", frozen_net, lambda lib: dict(
        input_size=(4, 6), row_settings=("depth", "hide_recursive_layers"),
        col_names=("output_size", "num_params", "params_percent"))),
    Case("tower_module_list", tower, lambda lib: dict(input_size=(1, 3))),
    Case("tower_all_columns", tower, lambda lib: dict(
        input_size=(2, 3), col_names=("input_size", "output_size", "num_params",
                                      "params_percent", "mult_adds", "trainable"))),
    Case("verbose2", linear_relu, lambda lib: dict(
        input_size=(1, 3), verbose=2, col_names=("num_params", "kernel_size"))),
    Case("verbose2_nested", frozen_net, lambda lib: dict(input_size=(4, 6), verbose=2)),
    Case("two_inputs_size", two_inputs, lambda lib: dict(input_size=[(2, 5), (2, 3)])),
    Case("two_inputs_data_kwargs", two_inputs, lambda lib: dict(
        input_data=[lib.zeros(2, 5), lib.zeros(2, 3)], scale=2.0,
        col_names=("input_size", "output_size", "mult_adds"))),
    Case("two_inputs_dict", two_inputs, lambda lib: dict(
        input_data={"x": lib.zeros(3, 5), "y": lib.zeros(3, 3)})),
    Case("input_data_tensor", seed_mlp, lambda lib: dict(input_data=lib.zeros(5, 2))),
    Case("input_data_numpy_list", seed_mlp, lambda lib: dict(
        input_data=[lib.from_numpy(np.zeros((7, 2), np.float32))])),
    Case("embedding_int64", embedding_model, lambda lib: dict(
        input_size=(4, 3), dtypes=[_int64(lib)],
        col_names=("input_size", "output_size", "num_params", "mult_adds"))),
    Case("batch_dim", seed_my_model, lambda lib: dict(input_size=(2,), batch_dim=0)),
    Case("tied_weights", tied_weights, lambda lib: dict(
        input_size=(2, 6), col_names=("output_size", "num_params", "params_percent"))),
    Case("tied_weights_no_input", tied_weights),
    Case("same_module_twice", same_module_twice, lambda lib: dict(
        input_size=(1, 4), row_settings=("depth", "var_names"))),
    Case("same_module_twice_no_input", same_module_twice),
    Case("long_names", long_names, lambda lib: dict(
        input_size=(2, 8), row_settings=("depth", "var_names"))),
    Case("narrow_columns", seed_cnn, lambda lib: dict(
        input_size=(2, 3, 32, 32), col_width=10,
        col_names=("input_size", "output_size", "num_params"))),
    Case("own_parameters", own_parameters, lambda lib: dict(
        input_size=(3, 4), col_names=("output_size", "num_params", "params_percent",
                                      "mult_adds", "trainable"))),
    Case("own_parameters_depth1", own_parameters, lambda lib: dict(
        input_size=(3, 4), depth=1, col_names=("num_params", "mult_adds"))),
    Case("tuple_and_dict_outputs", returns_tuple_and_dict, lambda lib: dict(
        input_size=(2, 6), col_names=("input_size", "output_size", "num_params"))),
    Case("tuple_and_dict_batch_dim", returns_tuple_and_dict, lambda lib: dict(
        input_size=(6,), batch_dim=0, col_names=("input_size", "output_size"))),
    Case("activations", activations, lambda lib: dict(
        input_size=(5, 10), col_names=("output_size", "num_params", "mult_adds"))),
    Case("norms_and_pools", norms, lambda lib: dict(
        input_size=(2, 3, 12, 12), col_names=("output_size", "num_params", "kernel_size",
                                              "mult_adds"))),
    Case("conv1d", conv1d_model, lambda lib: dict(
        input_size=(3, 2, 20), col_names=("output_size", "num_params", "kernel_size",
                                          "mult_adds"))),
    Case("module_dict", dict_container, lambda lib: dict(input_size=(2, 4))),
    Case("gigabyte_mult_adds", big_linear, lambda lib: dict(
        input_size=(400, 2500), col_names=("num_params", "mult_adds"))),
    Case("upsampling_decoder", upsampling_decoder, lambda lib: dict(
        input_size=(2, 32), col_names=("input_size", "output_size", "num_params",
                                       "kernel_size", "mult_adds"))),
    Case("sequence_1d", sequence_1d, lambda lib: dict(
        input_size=(3, 4, 10), col_names=("output_size", "num_params", "kernel_size",
                                          "mult_adds", "trainable"))),
    Case("bilinear_parameter_containers", bilinear_and_parameter_containers, lambda lib: dict(
        input_size=[(2, 4), (2, 3)], col_names=("output_size", "num_params",
                                                "params_percent", "mult_adds"))),
    Case("losses_in_forward", with_losses, lambda lib: dict(
        input_data=[lib.zeros(3, 6), lib.zeros(3, dtype=lib.int64)],
        col_names=("input_size", "output_size", "num_params", "mult_adds"))),
    Case("non_tensor_input_adds_itself", two_inputs, lambda lib: dict(
        input_data=[lib.zeros(2, 5), lib.zeros(2, 3), 2.0])),
    Case("verbose2_own_parameters", own_parameters, lambda lib: dict(
        input_size=(3, 4), verbose=2, col_names=("num_params", "kernel_size", "mult_adds"))),
    Case("verbose2_root_parameters", bilinear_and_parameter_containers, lambda lib: dict(
        verbose=2, col_names=("num_params", "kernel_size"))),
    Case("direct_forward_call", direct_forward_call, lambda lib: dict(
        input_size=(3, 4), col_names=("output_size", "num_params", "params_percent"))),
]
