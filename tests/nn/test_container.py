"""Containers against torch 2.x, case by case: the same code runs on both libraries and must leave
the same structure (names and modules, in order) or raise the same exception type."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lamina
import lamina.nn as lnn


def tag_class(nn):
    """A parameter-free module that records its tag in forward, so chaining order is visible."""

    class Tag(nn.Module):
        def __init__(self, i):
            super().__init__()
            self.i = i

        def forward(self, x):
            return x * 10 + self.i

        def extra_repr(self):
            return f"i={self.i}"

    return Tag


TAGS = {lnn: tag_class(lnn), torch.nn: tag_class(torch.nn)}


def structure(container):
    """[(name, tag)] for a container of Tag modules, None where a slot holds None."""
    return [(k, None if m is None else m.i) for k, m in container._modules.items()]


def run_both(build, operation):
    """Apply operation to a torch and a lamina container; compare result, structure or error."""
    outcomes = []
    for nn in (torch.nn, lnn):
        container = build(nn, TAGS[nn])
        try:
            result = operation(nn, TAGS[nn], container)
        except Exception as error:  # the type is what is compared
            outcomes.append(("raised", type(error)))
            continue
        if isinstance(result, (nn.Sequential, nn.ModuleList)):
            result = ("container", type(result).__name__, structure(result))
        elif isinstance(result, nn.Module):
            result = ("module", result.i)
        outcomes.append(("ok", result, structure(container)))
    assert outcomes[1] == outcomes[0], f"lamina {outcomes[1]} != torch {outcomes[0]}"
    return outcomes[1]


def seq_of(n):
    return lambda nn, Tag: nn.Sequential(*[Tag(i) for i in range(n)])


def seq_named(nn, Tag):
    return nn.Sequential(OrderedDict([("a", Tag(0)), ("b", Tag(1)), ("c", Tag(2))]))


SEQUENTIAL_CASES = {
    "getitem": lambda nn, Tag, s: s[1],
    "getitem_negative": lambda nn, Tag, s: s[-1],
    "getitem_out_of_range": lambda nn, Tag, s: s[3],
    "getitem_negative_out_of_range": lambda nn, Tag, s: s[-4],
    "getitem_float": lambda nn, Tag, s: s[1.0],
    "getitem_numpy_int": lambda nn, Tag, s: s[np.int64(2)],
    "slice": lambda nn, Tag, s: s[1:],
    "slice_step": lambda nn, Tag, s: s[::-2],
    "slice_empty": lambda nn, Tag, s: s[5:],
    "setitem": lambda nn, Tag, s: s.__setitem__(1, Tag(9)),
    "setitem_negative": lambda nn, Tag, s: s.__setitem__(-1, Tag(9)),
    "setitem_out_of_range": lambda nn, Tag, s: s.__setitem__(3, Tag(9)),
    "setitem_not_module": lambda nn, Tag, s: s.__setitem__(0, 5),
    "setitem_none": lambda nn, Tag, s: s.__setitem__(0, None),
    "delitem_renumbers": lambda nn, Tag, s: s.__delitem__(0),
    "delitem_negative": lambda nn, Tag, s: s.__delitem__(-2),
    "delitem_slice": lambda nn, Tag, s: s.__delitem__(slice(0, 2)),
    "delitem_out_of_range": lambda nn, Tag, s: s.__delitem__(7),
    "len": lambda nn, Tag, s: len(s),
    "iter": lambda nn, Tag, s: [m.i for m in s],
    "forward_chains": lambda nn, Tag, s: s(1.0),
    "add": lambda nn, Tag, s: s + nn.Sequential(Tag(7), Tag(8)),
    "add_list": lambda nn, Tag, s: s + [Tag(7)],
    "iadd": lambda nn, Tag, s: s.__iadd__(nn.Sequential(Tag(7))),
    "iadd_module": lambda nn, Tag, s: s.__iadd__(Tag(7)),
    "mul": lambda nn, Tag, s: s * 2,
    "rmul": lambda nn, Tag, s: 2 * s,
    "mul_zero": lambda nn, Tag, s: s * 0,
    "mul_float": lambda nn, Tag, s: s * 2.0,
    "imul": lambda nn, Tag, s: s.__imul__(3),
    "imul_negative": lambda nn, Tag, s: s.__imul__(-1),
    "imul_str": lambda nn, Tag, s: s.__imul__("2"),
    "append_returns_self": lambda nn, Tag, s: s.append(Tag(5)) is s,
    "append_not_module": lambda nn, Tag, s: s.append(3),
    "extend": lambda nn, Tag, s: s.extend([Tag(5), Tag(6)]),
    "extend_sequential": lambda nn, Tag, s: s.extend(nn.Sequential(Tag(5))),
    "insert_front": lambda nn, Tag, s: s.insert(0, Tag(5)),
    "insert_end": lambda nn, Tag, s: s.insert(3, Tag(5)),
    "insert_negative": lambda nn, Tag, s: s.insert(-1, Tag(5)),
    "insert_out_of_range": lambda nn, Tag, s: s.insert(4, Tag(5)),
    "insert_not_module": lambda nn, Tag, s: s.insert(0, 5),
    "pop": lambda nn, Tag, s: s.pop(1),
    "pop_negative": lambda nn, Tag, s: s.pop(-1),
    "pop_out_of_range": lambda nn, Tag, s: s.pop(3),
    "attribute_access": lambda nn, Tag, s: getattr(s, "1"),
    "missing_attribute": lambda nn, Tag, s: s.conv1,
    "children": lambda nn, Tag, s: [m.i for m in s.children()],
    "add_module_dot": lambda nn, Tag, s: s.add_module("a.b", Tag(1)),
    "add_module_existing_attribute": lambda nn, Tag, s: s.add_module("training", Tag(1)),
}


@pytest.mark.parametrize("case", SEQUENTIAL_CASES, ids=str)
def test_sequential_matches_torch(case):
    run_both(seq_of(3), SEQUENTIAL_CASES[case])


NAMED_CASES = {
    "getitem": lambda nn, Tag, s: s[1],
    "slice_keeps_names": lambda nn, Tag, s: s[1:],
    "attribute": lambda nn, Tag, s: s.b,
    "delitem_renumbers_names": lambda nn, Tag, s: s.__delitem__(1),
    "setitem_keeps_name": lambda nn, Tag, s: s.__setitem__(2, Tag(9)),
    "append": lambda nn, Tag, s: s.append(Tag(3)),
    "add": lambda nn, Tag, s: s + s,
    "mul": lambda nn, Tag, s: s * 2,
    "forward": lambda nn, Tag, s: s(0.0),
    "imul_named_keys": lambda nn, Tag, s: s.__imul__(2),
    "imul_after_slice": lambda nn, Tag, s: s[1:].__imul__(2),
    "insert_named_keys": lambda nn, Tag, s: s.insert(1, Tag(7)),
    "insert_at_end_named_keys": lambda nn, Tag, s: s.insert(3, Tag(7)),
    "iadd_named_keys": lambda nn, Tag, s: s.__iadd__(nn.Sequential(Tag(7))),
    "pop_named": lambda nn, Tag, s: s.pop(0),
    "delslice_named": lambda nn, Tag, s: s.__delitem__(slice(1, None)),
    "extend_named": lambda nn, Tag, s: s.extend([Tag(5)]),
}


@pytest.mark.parametrize("case", NAMED_CASES, ids=str)
def test_sequential_from_ordered_dict_matches_torch(case):
    run_both(seq_named, NAMED_CASES[case])


def test_sequential_string_keys_beyond_torch():
    Tag = TAGS[lnn]
    seq = lnn.Sequential(OrderedDict([("conv1", Tag(0)), ("relu1", Tag(1))]))
    assert seq["relu1"] is seq[1]
    seq["conv1"] = Tag(5)
    assert structure(seq) == [("conv1", 5), ("relu1", 1)]
    with pytest.raises(KeyError, match=r"no module named 'conv2'.*\['conv1', 'relu1'\]"):
        seq["conv2"]
    del seq["conv1"]
    assert structure(seq) == [("0", 1)]


def test_sequential_dir_hides_numbers():
    Tag = TAGS[lnn]
    names = dir(lnn.Sequential(Tag(0), Tag(1)))
    assert "append" in names and "forward" in names and "0" not in names


def test_empty_sequential_returns_its_input():
    x = lamina.randn(2, 3)
    assert lnn.Sequential()(x) is x


MODULE_LIST_CASES = {
    "getitem": lambda nn, Tag, m: m[2],
    "getitem_negative": lambda nn, Tag, m: m[-3],
    "getitem_out_of_range": lambda nn, Tag, m: m[3],
    "getitem_str": lambda nn, Tag, m: m["0"],
    "slice": lambda nn, Tag, m: m[:2],
    "setitem": lambda nn, Tag, m: m.__setitem__(-1, Tag(9)),
    "setitem_out_of_range": lambda nn, Tag, m: m.__setitem__(5, Tag(9)),
    "delitem": lambda nn, Tag, m: m.__delitem__(0),
    "delitem_slice": lambda nn, Tag, m: m.__delitem__(slice(None, None, 2)),
    "append": lambda nn, Tag, m: m.append(Tag(3)),
    "append_not_module": lambda nn, Tag, m: m.append("x"),
    "extend": lambda nn, Tag, m: m.extend([Tag(3), Tag(4)]),
    "extend_not_iterable": lambda nn, Tag, m: m.extend(Tag(3)),
    "insert": lambda nn, Tag, m: m.insert(1, Tag(7)),
    "insert_negative": lambda nn, Tag, m: m.insert(-1, Tag(7)),
    "pop": lambda nn, Tag, m: m.pop(0),
    "add": lambda nn, Tag, m: m + [Tag(5)],
    "iadd": lambda nn, Tag, m: m.__iadd__([Tag(5)]),
    "len": lambda nn, Tag, m: len(m),
    "iter": lambda nn, Tag, m: [t.i for t in m],
    "call": lambda nn, Tag, m: m(1.0),
}


@pytest.mark.parametrize("case", MODULE_LIST_CASES, ids=str)
def test_module_list_matches_torch(case):
    run_both(lambda nn, Tag: nn.ModuleList([Tag(0), Tag(1), Tag(2)]), MODULE_LIST_CASES[case])


def dict_structure(container):
    return [(k, m.i) for k, m in container.items()]


MODULE_DICT_CASES = {
    "getitem": lambda nn, Tag, d: d["b"].i,
    "missing": lambda nn, Tag, d: d["z"],
    "setitem": lambda nn, Tag, d: (d.__setitem__("c", Tag(3)), dict_structure(d))[1],
    "setitem_not_module": lambda nn, Tag, d: d.__setitem__("c", 3),
    "setitem_bad_name": lambda nn, Tag, d: d.__setitem__("c.d", Tag(3)),
    "delitem": lambda nn, Tag, d: (d.__delitem__("a"), dict_structure(d))[1],
    "pop": lambda nn, Tag, d: (d.pop("a").i, dict_structure(d)),
    "contains": lambda nn, Tag, d: ("a" in d, "z" in d),
    "keys_values": lambda nn, Tag, d: (list(d.keys()), [m.i for m in d.values()], list(d)),
    "clear": lambda nn, Tag, d: (d.clear(), len(d))[1],
    "update_pairs": lambda nn, Tag, d: (d.update([("x", Tag(5))]), dict_structure(d))[1],
    "update_dict_keeps_order": lambda nn, Tag, d: (
        d.update({"z": Tag(5), "c": Tag(6)}), dict_structure(d))[1],
    "update_bad_element": lambda nn, Tag, d: d.update([5]),
    "update_bad_length": lambda nn, Tag, d: d.update([("x", Tag(1), 2)]),
    "update_not_iterable": lambda nn, Tag, d: d.update(5),
    "call": lambda nn, Tag, d: d(1.0),
}


@pytest.mark.parametrize("case", MODULE_DICT_CASES, ids=str)
def test_module_dict_matches_torch(case):
    run_both(lambda nn, Tag: nn.ModuleDict({"b": Tag(1), "a": Tag(0)}), MODULE_DICT_CASES[case])


def test_module_list_registers_for_parameters_and_state_dict():
    class Scaled(lnn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lnn.Parameter(lamina.ones(2))

    class TorchScaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.ones(2))

    ours = lnn.ModuleDict({"blocks": lnn.ModuleList([Scaled(), Scaled()])})
    theirs = torch.nn.ModuleDict({"blocks": torch.nn.ModuleList([TorchScaled(), TorchScaled()])})
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "blocks.0.weight", "blocks.1.weight"]
    assert len(list(ours.parameters())) == 2


# ---------------------------------------------------------------------------- parameter containers
def param_structure(container):
    keys = range(len(container)) if isinstance(container, (torch.nn.ParameterList,
                                                           lnn.ParameterList)) else container
    out = []
    for k in keys:
        value = container[k]
        if isinstance(value, (torch.Tensor, lamina.Tensor)):
            out.append((k, type(value).__name__, value.detach().numpy().tolist(),
                        value.requires_grad))
        else:
            out.append((k, type(value).__name__, value))
    return out


def lib_of(nn):
    return torch if nn is torch.nn else lamina


PARAMETER_LIST_CASES = {
    "getitem": lambda nn, c: param_structure(c)[1],
    "getitem_out_of_range": lambda nn, c: c[2],
    "slice": lambda nn, c: param_structure(c[1:]),
    "append_tensor_becomes_parameter": lambda nn, c: param_structure(
        c.append(lib_of(nn).tensor([5.0]))),
    "append_object": lambda nn, c: param_structure(c.append("text")),
    "setitem_tensor": lambda nn, c: (c.__setitem__(0, lib_of(nn).tensor([7.0])),
                                     param_structure(c))[1],
    "extend_tensor_refused": lambda nn, c: c.extend(lib_of(nn).tensor([1.0])),
    "extend_not_iterable": lambda nn, c: c.extend(3),
    "iadd": lambda nn, c: param_structure(c.__iadd__([lib_of(nn).tensor([2.0])])),
    "call_refused": lambda nn, c: c(1),
    "named_parameters": lambda nn, c: [n for n, _ in c.named_parameters()],
    "len": lambda nn, c: len(c),
}


@pytest.mark.parametrize("case", PARAMETER_LIST_CASES, ids=str)
def test_parameter_list_matches_torch(case):
    outcomes = []
    for nn in (torch.nn, lnn):
        lib = lib_of(nn)
        container = nn.ParameterList([nn.Parameter(lib.tensor([1.0, 2.0])), lib.tensor([3.0])])
        try:
            outcomes.append(("ok", PARAMETER_LIST_CASES[case](nn, container)))
        except Exception as error:
            outcomes.append(("raised", type(error)))
    assert outcomes[1] == outcomes[0]


PARAMETER_DICT_CASES = {
    "items_sorted_from_dict": lambda nn, d: param_structure(d),
    "getitem_missing": lambda nn, d: d["zz"],
    "getitem_int": lambda nn, d: d[0],
    "setitem": lambda nn, d: (d.__setitem__("c", lib_of(nn).tensor([4.0])),
                              param_structure(d))[1],
    "delitem": lambda nn, d: (d.__delitem__("b"), param_structure(d))[1],
    "pop": lambda nn, d: (d.pop("a").tolist(), list(d.keys())),
    "popitem": lambda nn, d: (d.popitem()[0], list(d.keys())),
    "popitem_empty": lambda nn, d: (d.clear(), d.popitem()),
    "get": lambda nn, d: (d.get("zz", 3), d.get("a").tolist()),
    "setdefault": lambda nn, d: param_structure(
        (d.setdefault("c", lib_of(nn).tensor([1.0])), d)[1]),
    "contains_len": lambda nn, d: ("a" in d, "z" in d, len(d)),
    "reversed": lambda nn, d: list(reversed(d)),
    "copy": lambda nn, d: param_structure(d.copy()),
    "or": lambda nn, d: param_structure(d | nn.ParameterDict({"z": lib_of(nn).tensor([0.0])})),
    "update_ordered": lambda nn, d: (d.update(OrderedDict([("z", lib_of(nn).tensor([0.0])),
                                                           ("c", lib_of(nn).tensor([1.0]))])),
                                     list(d.keys()))[1],
    "update_pairs_bad": lambda nn, d: d.update([("x",)]),
    "update_not_iterable": lambda nn, d: d.update(1),
    "fromkeys": lambda nn, d: list(d.fromkeys(["p", "q"]).keys()),
    "state_dict_keys": lambda nn, d: list(d.state_dict()),
    "call_refused": lambda nn, d: d(1),
}


@pytest.mark.parametrize("case", PARAMETER_DICT_CASES, ids=str)
def test_parameter_dict_matches_torch(case):
    outcomes = []
    for nn in (torch.nn, lnn):
        lib = lib_of(nn)
        container = nn.ParameterDict({"b": lib.tensor([2.0]), "a": nn.Parameter(lib.ones(2)),
                                      "n": "note"})
        try:
            outcomes.append(("ok", PARAMETER_DICT_CASES[case](nn, container)))
        except Exception as error:
            outcomes.append(("raised", type(error)))
    assert outcomes[1] == outcomes[0]


def test_parameter_container_repr_matches_torch_layout():
    for nn in (torch.nn, lnn):
        lib = lib_of(nn)
        plist = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), "x"])
        pdict = nn.ParameterDict({"w": nn.Parameter(lib.ones(4))})
        text = repr(nn.ModuleDict({"l": plist})) + "\n" + repr(pdict)
        if nn is torch.nn:
            expected = text.replace("torch", "lamina")
        else:
            assert text == expected


# ---------------------------------------------------------------------------- repr
def test_repr_matches_torch_for_nested_containers():
    texts = []
    for nn in (torch.nn, lnn):
        Tag = TAGS[nn]
        model = nn.Sequential(
            Tag(0),
            nn.Sequential(OrderedDict([("inner", Tag(1)), ("list", nn.ModuleList([Tag(2)] * 3))])),
            nn.ModuleDict({"x": Tag(3), "y": nn.ModuleList([Tag(4), Tag(5), Tag(5), Tag(4)])}),
            nn.ModuleList(),
            nn.Sequential(),
        )
        texts.append(repr(model))
    assert texts[1] == texts[0]


# ---------------------------------------------------------------------------- random edit scripts
EDITS = st.one_of(
    st.tuples(st.just("append"), st.integers(0, 99)),
    st.tuples(st.just("insert"), st.integers(-6, 6), st.integers(0, 99)),
    st.tuples(st.just("pop"), st.integers(-6, 6)),
    st.tuples(st.just("delitem"), st.integers(-6, 6)),
    st.tuples(st.just("delslice"), st.integers(-6, 6), st.integers(-6, 6),
              st.sampled_from([None, 1, 2, -1])),
    st.tuples(st.just("setitem"), st.integers(-6, 6), st.integers(0, 99)),
    st.tuples(st.just("iadd"), st.integers(0, 99)),
    st.tuples(st.just("imul"), st.integers(-1, 3)),
    st.tuples(st.just("slice"), st.integers(-6, 6), st.integers(-6, 6)),
)


def apply_edit(nn, Tag, container, edit):
    kind, *args = edit
    if kind == "append":
        container.append(Tag(args[0]))
    elif kind == "insert":
        container.insert(args[0], Tag(args[1]))
    elif kind == "pop":
        container.pop(args[0])
    elif kind == "delitem":
        del container[args[0]]
    elif kind == "delslice":
        del container[args[0]:args[1]:args[2]]
    elif kind == "setitem":
        container[args[0]] = Tag(args[1])
    elif kind == "iadd":
        container += nn.Sequential(Tag(args[0])) if isinstance(
            container, nn.Sequential) else [Tag(args[0])]
    elif kind == "imul":
        if not isinstance(container, nn.Sequential):
            return container
        container *= args[0]
    elif kind == "slice":
        return container[args[0]:args[1]]
    return container


@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
@settings(max_examples=30)
@given(edits=st.lists(EDITS, max_size=8))
def test_random_edit_scripts_match_torch(kind, edits):
    containers = {nn: getattr(nn, kind)([TAGS[nn](i) for i in range(3)]) if kind == "ModuleList"
                  else nn.Sequential(*[TAGS[nn](i) for i in range(3)]) for nn in TAGS}
    for edit in edits:
        outcomes = []
        for nn, Tag in TAGS.items():
            try:
                containers[nn] = apply_edit(nn, Tag, containers[nn], edit)
                outcomes.append(("ok", type(containers[nn]).__name__,
                                 structure(containers[nn])))
            except Exception as error:
                outcomes.append(("raised", type(error)))
        assert outcomes[1] == outcomes[0], edit
    if kind == "Sequential":
        assert containers[lnn](0.0) == containers[torch.nn](0.0)
