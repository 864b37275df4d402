"""nn.Module and nn.Parameter against torch: the same model source runs on both libraries."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import assert_close

import lamina
import lamina.nn as lnn

LIBS = {torch.nn: torch, lnn: lamina}


def model_classes(nn):
    """Small models written once against a torch-like namespace (no layers needed)."""
    lib = LIBS[nn]

    class Affine(nn.Module):
        def __init__(self, n, m, bias=True):
            super().__init__()
            self.n, self.m = n, m
            self.weight = nn.Parameter(lib.arange(n * m, dtype=lib.float32).reshape(m, n) / 10)
            if bias:
                self.bias = nn.Parameter(lib.linspace(-1, 1, m))
            else:
                self.register_parameter("bias", None)
            self.register_buffer("calls", lib.zeros((), dtype=lib.int64))
            self.register_buffer("scratch", lib.zeros(m), persistent=False)

        def forward(self, x):
            y = x @ self.weight.t()
            return y + self.bias if self.bias is not None else y

        def extra_repr(self):
            return f"n={self.n}, m={self.m}"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = Affine(3, 4)
            self.register_buffer("offset", lib.ones(4))
            self.body = nn.Sequential(Affine(4, 4, bias=False), nn.Sequential(Affine(4, 2)))
            self.scale = nn.Parameter(lib.full((2,), 2.0))

        def forward(self, x):
            return self.body(self.first(x) + self.offset) * self.scale

    return Affine, Net


CLASSES = {nn: model_classes(nn) for nn in LIBS}


def both(build):
    return build(torch.nn, *CLASSES[torch.nn]), build(lnn, *CLASSES[lnn])


def net_pair():
    return both(lambda nn, Affine, Net: Net())


# ---------------------------------------------------------------------------- Parameter
def test_parameter_requires_grad_and_shares_data():
    t = lamina.ones(2, 3)
    p = lnn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, lamina.Tensor)
    p.detach()._array[0, 0] = 5.0
    assert t[0, 0].item() == 5.0  # no copy, like torch
    assert not lnn.Parameter(t, requires_grad=False).requires_grad
    assert lnn.Parameter().shape == torch.nn.Parameter().shape
    assert lnn.Parameter().dtype == lamina.float32


def test_parameter_repr_starts_like_torch():
    ours = repr(lnn.Parameter(lamina.zeros(2)))
    theirs = repr(torch.nn.Parameter(torch.zeros(2)))
    assert ours.split("\n")[0] == theirs.split("\n")[0] == "Parameter containing:"
    assert ours.endswith("requires_grad=True)")


def test_parameter_of_integers_cannot_require_grad():
    with pytest.raises(RuntimeError):
        torch.nn.Parameter(torch.zeros(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="floating point"):
        lnn.Parameter(lamina.zeros(2, dtype=lamina.int64))
    frozen = lnn.Parameter(lamina.zeros(2, dtype=lamina.int64), requires_grad=False)
    assert frozen.dtype == lamina.int64 and not frozen.requires_grad


def test_parameter_survives_pickle_and_deepcopy_with_attributes():
    p = lnn.Parameter(lamina.ones(3))
    p.tag = "w"  # Parameters have a __dict__, plain Tensors do not
    for clone in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        assert type(clone) is lnn.Parameter and clone.requires_grad and clone.tag == "w"
        np.testing.assert_array_equal(clone.detach().numpy(), p.detach().numpy())


def test_parameter_ops_give_plain_tensors_with_gradients():
    p = lnn.Parameter(lamina.tensor([1.0, 2.0]))
    out = (p * p).sum()
    assert type(p * 2) is lamina.Tensor
    out.backward()
    assert_close(p.grad, torch.tensor([2.0, 4.0]))


# ---------------------------------------------------------------------------- registration
def test_traversal_names_and_order_match_torch():
    theirs, ours = net_pair()
    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(ours, method)()] == [n for n, _ in getattr(theirs, method)()]
    assert [n for n, _ in ours.named_parameters(prefix="model")] == [
        n for n, _ in theirs.named_parameters(prefix="model")]
    assert [n for n, _ in ours.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in ours.named_modules(prefix="m")] == [
        n for n, _ in theirs.named_modules(prefix="m")]
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 6
    assert len(list(ours.buffers())) == len(list(theirs.buffers()))
    assert [type(m).__name__ for m in ours.modules()] == [
        type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == ["Affine", "Sequential"]


def test_shared_parameters_and_modules_listed_once_unless_asked():
    results = []
    for nn in LIBS:
        Affine, _ = CLASSES[nn]
        shared = Affine(2, 2)
        model = nn.Sequential(shared, shared)
        model.extra = shared.weight  # the same Parameter under a second name
        results.append((
            [n for n, _ in model.named_parameters()],
            [n for n, _ in model.named_parameters(remove_duplicate=False)],
            [n for n, _ in model.named_modules()],
            [n for n, _ in model.named_modules(remove_duplicate=False)],
            list(model.state_dict()),
        ))
    assert results[1] == results[0]


def test_assigning_before_super_init_fails_like_torch():
    for nn, lib in LIBS.items():
        class Early(nn.Module):
            def __init__(self, value):
                self.x = value
                super().__init__()

        with pytest.raises(AttributeError, match="before Module.__init__"):
            Early(nn.Parameter(lib.ones(1)))
        with pytest.raises(AttributeError, match="before Module.__init__"):
            Early(nn.Sequential())
    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\) first in Early"):
        Early(lnn.Sequential())


def outcome(action):
    try:
        result = action()
    except Exception as error:
        return ("raised", type(error))
    return ("ok", result)


REASSIGN_CASES = {
    "param_to_none": lambda nn, lib, m: (setattr(m, "scale", None), m.scale,
                                         [n for n, _ in m.named_parameters()])[1:],
    "param_to_tensor": lambda nn, lib, m: setattr(m, "scale", lib.ones(2)),
    "param_to_number": lambda nn, lib, m: setattr(m, "scale", 3),
    "module_to_none": lambda nn, lib, m: (setattr(m, "body", None), list(m.state_dict()))[1],
    "module_to_number": lambda nn, lib, m: setattr(m, "body", 3),
    "buffer_to_tensor": lambda nn, lib, m: (setattr(m, "offset", lib.zeros(4)),
                                            m.offset.tolist())[1],
    "buffer_to_number": lambda nn, lib, m: setattr(m, "offset", 1.0),
    "module_replaces_param": lambda nn, lib, m: (setattr(m, "scale", nn.Sequential()),
                                                 [n for n, _ in m.named_parameters()])[1],
    "param_replaces_plain": lambda nn, lib, m: (setattr(m, "note", 1),
                                                setattr(m, "note", nn.Parameter(lib.ones(1))),
                                                list(m.state_dict())[-1])[2],
    "delete_param": lambda nn, lib, m: (delattr(m, "scale"), hasattr(m, "scale"),
                                        len(list(m.parameters())))[1:],
    "delete_buffer": lambda nn, lib, m: (delattr(m, "offset"), list(m.state_dict())[:3])[1],
    "delete_module": lambda nn, lib, m: (delattr(m, "body"), [n for n, _ in m.named_children()])[1],
    "delete_missing": lambda nn, lib, m: delattr(m, "nothing"),
    "register_buffer_dot": lambda nn, lib, m: m.register_buffer("a.b", lib.ones(1)),
    "register_buffer_empty": lambda nn, lib, m: m.register_buffer("", lib.ones(1)),
    "register_buffer_not_str": lambda nn, lib, m: m.register_buffer(1, lib.ones(1)),
    "register_buffer_not_tensor": lambda nn, lib, m: m.register_buffer("b", [1.0]),
    "register_buffer_existing_attr": lambda nn, lib, m: m.register_buffer("training", None),
    "register_buffer_none": lambda nn, lib, m: (m.register_buffer("b", None),
                                                "b" in dict(m.named_buffers()))[1],
    "register_parameter_tensor": lambda nn, lib, m: m.register_parameter("p", lib.ones(1)),
    "register_parameter_dot": lambda nn, lib, m: m.register_parameter("p.q", None),
    "register_parameter_non_leaf": lambda nn, lib, m: m.register_parameter(
        "p", nn.Parameter(lib.ones(1)) * 2),
    "register_parameter_existing": lambda nn, lib, m: m.register_parameter("body", None),
    "add_module_not_module": lambda nn, lib, m: m.add_module("x", 5),
    "add_module_dot": lambda nn, lib, m: m.add_module("x.y", nn.Sequential()),
    "add_module_empty": lambda nn, lib, m: m.add_module("", nn.Sequential()),
    "add_module_not_str": lambda nn, lib, m: m.add_module(3, nn.Sequential()),
    "register_module": lambda nn, lib, m: (m.register_module("extra", nn.Sequential()),
                                           [n for n, _ in m.named_children()])[1],
    "get_submodule": lambda nn, lib, m: type(m.get_submodule("body.1.0")).__name__,
    "get_submodule_empty": lambda nn, lib, m: m.get_submodule("") is m,
    "get_submodule_missing": lambda nn, lib, m: m.get_submodule("body.7"),
    "get_submodule_not_module": lambda nn, lib, m: m.get_submodule("scale"),
    "get_parameter": lambda nn, lib, m: m.get_parameter("body.0.weight").shape[0],
    "get_parameter_buffer": lambda nn, lib, m: m.get_parameter("offset"),
    "get_parameter_missing": lambda nn, lib, m: m.get_parameter("first.nothing"),
    "get_buffer": lambda nn, lib, m: m.get_buffer("first.calls").tolist(),
    "get_buffer_param": lambda nn, lib, m: m.get_buffer("scale"),
    "set_submodule": lambda nn, lib, m: (m.set_submodule("body.1", nn.Sequential()),
                                         [n for n, _ in m.named_modules()])[1],
    "set_submodule_new_name": lambda nn, lib, m: (m.set_submodule("body.extra", nn.Sequential()),
                                                  [n for n, _ in m.named_modules()])[1],
    "set_submodule_strict_missing": lambda nn, lib, m: m.set_submodule(
        "body.extra", nn.Sequential(), strict=True),
    "set_submodule_over_parameter": lambda nn, lib, m: m.set_submodule("scale", nn.Sequential()),
    "set_submodule_not_module": lambda nn, lib, m: m.set_submodule("body.1", 3),
    "set_submodule_empty": lambda nn, lib, m: m.set_submodule("", nn.Sequential()),
    "share_memory": lambda nn, lib, m: m.share_memory() is m,
    "to_memory_format": lambda nn, lib, m: m.to(memory_format=lib.contiguous_format) is m
    if hasattr(lib, "contiguous_format") else True,
    "missing_attribute": lambda nn, lib, m: m.nothing,
    "init_with_args": lambda nn, lib, m: nn.Module(1),
    "init_with_kwargs": lambda nn, lib, m: nn.Module(a=1),
    "forward_missing": lambda nn, lib, m: nn.Module()(1),
    "train_not_bool": lambda nn, lib, m: m.train("yes"),
}


@pytest.mark.parametrize("case", REASSIGN_CASES, ids=str)
def test_registration_behaviour_matches_torch(case):
    results = []
    for nn, lib in LIBS.items():
        model = CLASSES[nn][1]()
        results.append(outcome(lambda nn=nn, lib=lib, model=model: REASSIGN_CASES[case](
            nn, lib, model)))
    if results[0][0] == "ok":
        results = [(kind, _plain(value)) for kind, value in results]
    assert results[1] == results[0]


def _plain(value):
    if isinstance(value, (torch.Size, lamina.Size)):
        return tuple(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def test_error_messages_name_the_problem():
    model = CLASSES[lnn][1]()
    with pytest.raises(AttributeError) as ours:
        _ = model.nothing
    with pytest.raises(AttributeError) as theirs:
        _ = CLASSES[torch.nn][1]().nothing
    assert str(ours.value) == str(theirs.value) == "'Net' object has no attribute 'nothing'"
    with pytest.raises(AttributeError, match="'Sequential' object has no attribute 'x'"):
        _ = lnn.Sequential().x
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter 'scale'"):
        model.scale = 3
    with pytest.raises(TypeError, match="cannot assign 'lamina.FloatTensor' as parameter 'scale'"):
        model.scale = lamina.ones(2)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        model.register_buffer("training", None)
    with pytest.raises(AttributeError, match="Sequential has no attribute `7`"):
        model.get_submodule("body.7")
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required'):
        lnn.Module()(1)


def test_compile_is_a_no_op():
    # torch's Module.compile wraps the model with torch.compile in place and returns None
    model = CLASSES[lnn][1]()
    x = lamina.ones(1, 3)
    before = model(x).tolist()
    assert model.compile() is None
    assert model(x).tolist() == before


def test_dir_lists_members():
    names = dir(CLASSES[lnn][1]())
    for name in ("scale", "offset", "body", "first", "forward", "training", "state_dict"):
        assert name in names
    assert names == sorted(names)


# ---------------------------------------------------------------------------- modes
def test_train_eval_propagate_and_return_self():
    theirs, ours = net_pair()
    assert ours.eval() is ours
    assert [m.training for m in ours.modules()] == [False] * 6
    ours.body.train()
    theirs.eval()
    theirs.body.train()
    assert [m.training for m in ours.modules()] == [m.training for m in theirs.modules()]
    assert ours.train(True) is ours and all(m.training for m in ours.modules())


def test_requires_grad_and_zero_grad_match_torch():
    theirs, ours = net_pair()
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    for model, lib in ((theirs, torch), (ours, lamina)):
        model(lib.tensor(x)).sum().backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad)
    ours.zero_grad(set_to_none=False)
    theirs.zero_grad(set_to_none=False)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad)
    grads = [p.grad for p in ours.parameters()]
    ours.zero_grad(set_to_none=False)
    assert all(a is b for a, b in zip(grads, (p.grad for p in ours.parameters())))
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())
    assert ours.requires_grad_(False) is ours
    assert not any(p.requires_grad for p in ours.parameters())


def test_apply_visits_children_first_like_torch():
    orders = []
    for nn in LIBS:
        seen = []
        model = CLASSES[nn][1]()
        assert model.apply(lambda m, seen=seen: seen.append(type(m).__name__)) is model
        orders.append(seen)
    assert orders[1] == orders[0]


@pytest.mark.parametrize("method,args", [("double", ()), ("half", ()), ("float", ()),
                                         ("to", ("float64",)), ("type", ("float64",))])
def test_dtype_conversions_match_torch(method, args):
    theirs, ours = net_pair()
    params_before = list(ours.parameters())
    t_args = tuple(getattr(torch, a) for a in args)
    l_args = tuple(getattr(lamina, a) for a in args)
    assert getattr(ours, method)(*l_args) is ours
    getattr(theirs, method)(*t_args)
    for (name, value), (_, expected) in zip(ours.state_dict().items(),
                                            theirs.state_dict().items()):
        assert str(value.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], name
    # the Parameter objects stay the same, so an optimizer built before still sees them
    assert all(a is b for a, b in zip(params_before, ours.parameters()))
    assert all(isinstance(p, lnn.Parameter) for p in ours.parameters())


def test_to_refuses_integer_dtypes_and_other_devices():
    model = CLASSES[lnn][1]()
    with pytest.raises(TypeError, match="floating point"):
        model.to(lamina.int64)
    with pytest.raises(TypeError):
        CLASSES[torch.nn][1]().to(torch.int64)
    assert model.to("cpu") is model and model.cpu() is model
    assert model.to(lamina.device("cpu"), dtype=lamina.float64) is model
    assert model.scale.dtype == lamina.float64
    for action in (lambda: model.to("cuda"), model.cuda):
        with pytest.raises(AssertionError, match="CPU only"):
            action()


def test_double_model_computes_in_float64():
    theirs, ours = net_pair()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.ones((2, 3))
    out = ours.double()(lamina.tensor(x))
    assert out.dtype == lamina.float64
    assert_close(out, theirs.double()(torch.tensor(x)))


# ---------------------------------------------------------------------------- state_dict
def test_state_dict_keys_order_and_detached_views():
    theirs, ours = net_pair()
    state = ours.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == list(theirs.state_dict())
    assert "first.scratch" not in state  # non-persistent buffers are left out
    assert not any(v.requires_grad for v in state.values())
    assert all(type(v) is lamina.Tensor for v in state.values())
    state["scale"][0] = 7.0  # detached, but the same storage, as in torch
    assert ours.scale[0].item() == 7.0
    kept = ours.state_dict(keep_vars=True)
    assert kept["scale"] is ours.scale
    prefixed = ours.state_dict(prefix="net.")
    assert list(prefixed) == list(theirs.state_dict(prefix="net."))
    for key, value in state.items():
        assert_close(value, theirs.state_dict()[key] if key != "scale" else value)


def test_load_torch_state_dict_gives_identical_outputs():
    theirs, ours = net_pair()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape), dtype=np.float32)))
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == repr(theirs.load_state_dict(theirs.state_dict()))
    x = rng.standard_normal((5, 3), dtype=np.float32)
    assert_close(ours(lamina.tensor(x)), theirs(torch.tensor(x)))
    # and from lamina tensors, into a fresh model
    fresh = CLASSES[lnn][1]()
    fresh.load_state_dict(ours.state_dict())
    assert_close(fresh(lamina.tensor(x)), theirs(torch.tensor(x)))
    assert fresh.scale.dtype == lamina.float32 and fresh.scale.requires_grad


def test_load_state_dict_casts_to_the_model_dtype():
    ours = CLASSES[lnn][1]()
    state = {k: v.numpy().astype(np.float64) if v.is_floating_point() else v
             for k, v in ours.state_dict().items()}
    ours.load_state_dict(state)
    assert ours.scale.dtype == lamina.float32


def strict_failure(nn, lib, model, state):
    state = OrderedDict(state)
    del state["first.weight"]
    del state["body.0.calls"]
    state["body.5.weight"] = lib.ones(1)
    state["extra"] = lib.ones(1)
    state["scale"] = lib.ones(3)
    return state


def test_strict_load_lists_every_problem_like_torch():
    messages, results = [], []
    for nn, lib in LIBS.items():
        model = CLASSES[nn][1]()
        state = strict_failure(nn, lib, model, model.state_dict())
        with pytest.raises(RuntimeError) as error:
            model.load_state_dict(state)
        messages.append(str(error.value))
        state["scale"] = lib.ones(2)
        result = model.load_state_dict(state, strict=False)
        results.append((result.missing_keys, result.unexpected_keys))
    assert results[1] == results[0]
    torch_lines = messages[0].replace("torch.Size", "lamina.Size").split("\n")
    ours = messages[1].split("\n")
    assert ours[: len(torch_lines)] == torch_lines  # torch's lines first, then our hints
    assert "Hint: 1 key(s) have the wrong shape" in messages[1]


def test_non_strict_load_still_refuses_shape_mismatch():
    model = CLASSES[lnn][1]()
    with pytest.raises(RuntimeError, match="size mismatch for scale"):
        model.load_state_dict({"scale": np.ones(5, dtype=np.float32)}, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        model.load_state_dict([("scale", np.ones(2))])
    with pytest.raises(RuntimeError, match='parameter named "scale"'):
        model.load_state_dict({"scale": [1.0, 2.0]}, strict=False)


def test_load_diagnoses_a_data_parallel_prefix():
    model = CLASSES[lnn][1]()
    state = {"module." + k: v for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match=r"(?s)Missing key.*Hint: .*start with 'module\.'.*"
                                           r"removeprefix"):
        model.load_state_dict(state)
    wrapped = lnn.Sequential(OrderedDict(module=CLASSES[lnn][1]()))
    with pytest.raises(RuntimeError, match=r"model's keys start with 'module\.'"):
        wrapped.load_state_dict(model.state_dict())


def test_load_diagnoses_renumbered_sequential_keys():
    Affine = CLASSES[lnn][0]
    saved = lnn.Sequential(Affine(2, 3), Affine(3, 1)).state_dict()
    edited = lnn.Sequential(Affine(2, 3), lnn.Sequential(), Affine(3, 1))
    with pytest.raises(RuntimeError, match=r"differ only in their numbers.*'1.weight' -> "
                                           r"'2.weight'"):
        edited.load_state_dict(saved)


def test_load_assign_replaces_tensors():
    model = CLASSES[lnn][1]()
    new = {k: lamina.zeros(*v.shape, dtype=v.dtype) for k, v in model.state_dict().items()}
    model.load_state_dict(new, assign=True)
    assert isinstance(model.scale, lnn.Parameter) and model.scale.requires_grad
    assert model.scale._array is new["scale"]._array


# ---------------------------------------------------------------------------- hooks
def test_forward_hooks_match_torch():
    logs, outputs = [], []
    for nn, lib in LIBS.items():
        log = []
        model = CLASSES[nn][1]()
        h1 = model.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        h2 = model.first.register_forward_pre_hook(
            lambda m, args, kwargs, log=log: log.append(("pre-kw", len(args), sorted(kwargs))),
            with_kwargs=True)
        h3 = model.register_forward_hook(lambda m, args, out: out + 1)
        h4 = model.register_forward_hook(lambda m, args, out, log=log: log.append("first"),
                                         prepend=True)
        h5 = model.body.register_forward_hook(
            lambda m, args, kwargs, out, log=log: log.append(("kw", tuple(out.shape))),
            with_kwargs=True)
        x = lib.ones(1, 3)
        outputs.append(model(x).detach().numpy().copy())
        for handle in (h1, h3, h4):
            handle.remove()
        outputs.append(model(x).detach().numpy().copy())
        h2.remove()
        h5.remove()
        h5.remove()  # removing twice is harmless
        model(x)
        logs.append(log)
    assert logs[1] == logs[0]
    np.testing.assert_allclose(outputs[2], outputs[0], rtol=1e-6)
    np.testing.assert_allclose(outputs[3], outputs[1], rtol=1e-6)


def test_pre_hook_with_kwargs_can_replace_arguments():
    class Keyword(lnn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    module = Keyword()
    module.register_forward_pre_hook(lambda m, args, kwargs: (args, {"scale": 3.0}),
                                     with_kwargs=True)
    assert module(lamina.ones(1)).item() == 3.0
    module.register_forward_pre_hook(lambda m, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="tuple of \\(new_args, new_kwargs\\)"):
        module(lamina.ones(1))


# ---------------------------------------------------------------------------- repr and copies
def test_repr_matches_torch():
    theirs, ours = net_pair()
    assert repr(ours) == repr(theirs)
    assert repr(lnn.Module()) == repr(torch.nn.Module()) == "Module()"
    assert repr(lnn.Sequential()) == "Sequential()"


def test_multiline_extra_repr_layout_matches_torch():
    texts = []
    for nn in LIBS:
        class Multi(nn.Module):
            def __init__(self, nn=nn):
                super().__init__()
                self.inner = nn.Sequential()

            def extra_repr(self):
                return "a=1\nb=2"

        texts.append(repr(nn.Sequential(Multi(), Multi())))
    assert texts[1] == texts[0]


class Picklable(lnn.Module):
    def __init__(self):
        super().__init__()
        self.body = lnn.Sequential(lnn.ModuleList())
        self.weight = lnn.Parameter(lamina.randn(3))
        self.register_buffer("count", lamina.zeros(1))


def test_deepcopy_and_pickle_keep_structure_and_values():
    _, ours = net_pair()
    x = lamina.ones(1, 3)
    for clone in (copy.deepcopy(ours),):
        assert list(clone.state_dict()) == list(ours.state_dict())
        assert clone.scale is not ours.scale and isinstance(clone.scale, lnn.Parameter)
        assert_close(clone(x), ours(x).detach())
    model = Picklable()
    clone = pickle.loads(pickle.dumps(model))
    assert list(clone.state_dict()) == list(model.state_dict()) == ["weight", "count"]
    assert repr(clone) == repr(model) and isinstance(clone.weight, lnn.Parameter)
    assert clone.weight.tolist() == model.weight.tolist()


@settings(max_examples=10)
@given(st.lists(st.sampled_from(["double", "float", "eval", "train", "zero_grad"]), max_size=4))
def test_state_dict_keys_stable_under_any_transformations(steps):
    theirs, ours = net_pair()
    for step in steps:
        getattr(ours, step)()
        getattr(theirs, step)()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [m.training for m in ours.modules()] == [m.training for m in theirs.modules()]


def test_direct_writes_to_the_member_dicts_are_seen_as_attributes():
    # torch code edits _modules/_parameters directly; attribute reads must follow every write
    model = CLASSES[lnn][1]()
    replacement = lnn.Sequential()
    model._modules["body"] = replacement
    assert model.body is replacement
    model._parameters.pop("scale")
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'scale'"):
        _ = model.scale
    model._buffers.update(offset=lamina.zeros(1), extra=lamina.ones(1))
    assert model.extra.tolist() == [1.0] and model.offset.tolist() == [0.0]
    model._modules = OrderedDict(first=model.first, other=lnn.Sequential())
    assert type(model.other).__name__ == "Sequential"
    with pytest.raises(AttributeError):
        _ = model.body
    model._buffers.clear()
    assert not hasattr(model, "extra") and list(model.state_dict()) == [
        "first.weight", "first.bias", "first.calls"]
    lnn.Module.__init__(model)  # starting over forgets every member, as in torch
    assert not hasattr(model, "first") and list(model.state_dict()) == []


def test_always_called_forward_hooks_run_when_forward_fails():
    logs = []
    for nn, lib in LIBS.items():
        log = []
        model = CLASSES[nn][0](3, 2)
        model.register_forward_hook(lambda m, args, out, log=log: log.append(("always", out)),
                                    always_call=True)
        model.register_forward_hook(lambda m, args, out, log=log: log.append("normal"))
        with pytest.warns(UserWarning, match="silenced"):
            model.register_forward_hook(lambda m, args, out: 1 / (out is not None),
                                        always_call=True)
            with pytest.raises(RuntimeError):
                model(lib.ones(1, 5))
        model(lib.ones(1, 3))
        logs.append([entry if entry == "normal" else (entry[0], entry[1] is None)
                     for entry in log])
    assert logs[1] == logs[0] == [("always", True), ("always", False), "normal"]


def two_input_classes(nn):
    class Mix(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = CLASSES[nn][0](3, 2)

        def forward(self, x, y, scale=1.0):
            out = self.inner(x) * y
            return out * scale, out.sum()

    return Mix


def assert_nested_close(ours, theirs):
    """Compare nested lists/tuples of numbers, strings and None."""
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            assert_nested_close(a, b)
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6)
    else:
        assert ours == theirs


def test_full_backward_hooks_match_torch():
    logs, grads = [], []
    x_np = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    y_np = np.array([[2.0, -1.0]], dtype=np.float32)
    for nn, lib in LIBS.items():
        log = []
        model = two_input_classes(nn)()

        def pre(module, grad_output, log=log):
            log.append(("pre", [None if g is None else g.tolist() for g in grad_output]))
            return (grad_output[0] * 3, grad_output[1])

        def full(module, grad_input, grad_output, log=log):
            log.append(("full", [None if g is None else g.tolist() for g in grad_input],
                        [None if g is None else g.tolist() for g in grad_output]))
            return (grad_input[0] + 1, None)

        def inner(module, grad_input, grad_output, log=log):
            log.append(("inner", [g.tolist() for g in grad_input]))

        model.register_full_backward_pre_hook(pre)
        handle = model.register_full_backward_hook(full)
        model.inner.register_full_backward_hook(inner)
        x = lib.tensor(x_np, requires_grad=True)
        y = lib.tensor(y_np)
        first, total = model(x, y, scale=2.0)
        (first.sum() + total).backward()
        grads.append([x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()])
        handle.remove()
        x.grad = None
        model(x, y)[0].sum().backward()
        grads.append([x.grad.numpy().copy()])
        logs.append(log)
    assert len(logs[1]) == len(logs[0]) == 5
    for ours, theirs in zip(logs[1], logs[0]):
        assert_nested_close(ours, theirs)
    for ours, theirs in zip(grads[2:], grads[:2]):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_full_backward_hook_without_input_grads_fires_on_outputs():
    seen = []
    for nn, lib in LIBS.items():
        model = CLASSES[nn][0](3, 2)
        model.register_full_backward_hook(
            lambda m, gi, go, seen=seen: seen.append((gi, tuple(go[0].shape))))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            model(lib.ones(4, 3)).sum().backward()
        with lib.no_grad():
            model(lib.ones(4, 3))
    assert seen == [((None,), (4, 2))] * 2
    bad = CLASSES[lnn][0](3, 2)
    bad.register_full_backward_hook(lambda m, gi, go: (lamina.ones(1),))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="should always return None"):
        bad(lamina.ones(1, 3)).sum().backward()


def test_the_delegating_getattr_pattern_works_as_with_torch():
    results = []
    for nn in LIBS:
        class Wrapper(nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def __getattr__(self, name):
                try:
                    return super().__getattr__(name)
                except AttributeError:
                    return getattr(self.inner, name)

        wrapped = Wrapper(CLASSES[nn][0](2, 3))
        results.append((tuple(wrapped.weight.shape), wrapped.n, type(wrapped.inner).__name__,
                        outcome(lambda wrapped=wrapped: wrapped.missing)))
    assert results[1] == results[0]


def test_per_module_state_dict_protocol_can_be_overridden_like_torch():
    results = []
    for nn, lib in LIBS.items():
        Affine = CLASSES[nn][0]

        class Legacy(Affine):
            """Accepts checkpoints that called the weight 'kernel', and saves an extra entry."""

            def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs):
                if prefix + "kernel" in state_dict:
                    state_dict[prefix + "weight"] = state_dict.pop(prefix + "kernel")
                super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                              missing_keys, unexpected_keys, error_msgs)

            def _save_to_state_dict(self, destination, prefix, keep_vars, lib=lib):
                super()._save_to_state_dict(destination, prefix, keep_vars)
                destination[prefix + "format"] = lib.ones(1)

        model = nn.Sequential(Legacy(2, 2))
        saved = {"0.kernel": np.full((2, 2), 3.0, dtype=np.float32),
                 "0.bias": np.zeros(2, dtype=np.float32),
                 "0.calls": np.zeros((), dtype=np.int64)}
        state = {k: lib.tensor(v) for k, v in saved.items()}
        result = model.load_state_dict(state, strict=False)
        results.append((list(model.state_dict()), model[0].weight.tolist(),
                        result.missing_keys, result.unexpected_keys, sorted(state)))
    assert results[1] == results[0]
    assert results[1][2:4] == ([], [])
