"""lamina.save / lamina.load against real torch.save / torch.load, and against hostile files."""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lamina
from lamina.serialization import UnpicklingError

DTYPES = [
    (lamina.float32, torch.float32), (lamina.float64, torch.float64),
    (lamina.float16, torch.float16), (lamina.int64, torch.int64), (lamina.int32, torch.int32),
    (lamina.int16, torch.int16), (lamina.int8, torch.int8), (lamina.uint8, torch.uint8),
    (lamina.bool, torch.bool),
]


def _random_array(rng, shape, numpy_dtype):
    if numpy_dtype.kind == "f":
        return rng.standard_normal(shape).astype(numpy_dtype)
    if numpy_dtype.kind == "b":
        return rng.random(shape) < 0.5
    return rng.integers(0, 100, shape).astype(numpy_dtype)


@pytest.mark.parametrize("ours,theirs", DTYPES, ids=lambda d: str(d))
def test_every_dtype_round_trips_both_ways(tmp_path, ours, theirs):
    rng = np.random.default_rng(0)
    array = _random_array(rng, (3, 4), ours.numpy)
    path = tmp_path / "t.pt"
    lamina.save({"x": lamina.from_numpy(array)}, path)
    loaded = torch.load(path, weights_only=True)["x"]
    assert loaded.dtype == theirs and tuple(loaded.shape) == (3, 4)
    np.testing.assert_array_equal(loaded.numpy(), array)

    torch.save({"x": torch.from_numpy(array.copy())}, path)
    back = lamina.load(path)["x"]
    assert back.dtype == ours and back.shape == (3, 4)
    np.testing.assert_array_equal(back.numpy(), array)


def test_views_share_storage_both_ways(tmp_path):
    base = torch.arange(12.0).reshape(3, 4)
    torch.save({"base": base, "row": base[1], "col": base[:, 2], "t": base.t()}, tmp_path / "v.pt")
    loaded = lamina.load(tmp_path / "v.pt")
    np.testing.assert_array_equal(loaded["col"].numpy(), base[:, 2].numpy())
    np.testing.assert_array_equal(loaded["t"].numpy(), base.t().numpy())
    loaded["base"][1, 2] = -1.0  # one storage in the file -> one buffer in memory
    assert loaded["row"][2].item() == -1.0 and loaded["col"][1].item() == -1.0

    x = lamina.arange(12.0).reshape(3, 4)
    lamina.save({"x": x, "tail": x[1:], "t": x.t()}, tmp_path / "w.pt")
    theirs = torch.load(tmp_path / "w.pt", weights_only=True)
    assert theirs["tail"].untyped_storage().data_ptr() == theirs["x"].untyped_storage().data_ptr()
    np.testing.assert_array_equal(theirs["t"].numpy(), x.numpy().T)


def test_nested_plain_values_round_trip(tmp_path):
    obj = {"epoch": 3, "lr": 0.1, "name": "run", "flags": [True, None], "pair": (1, 2.5),
           "dtype": lamina.float64, "nested": {"a": [lamina.ones(2)]}}
    lamina.save(obj, tmp_path / "n.pt")
    theirs = torch.load(tmp_path / "n.pt", weights_only=True)
    assert theirs["epoch"] == 3 and theirs["pair"] == (1, 2.5) and theirs["dtype"] is torch.float64
    assert torch.equal(theirs["nested"]["a"][0], torch.ones(2))
    ours = lamina.load(tmp_path / "n.pt")
    assert ours["dtype"] is lamina.float64 and ours["flags"] == [True, None]


def test_torch_optimizer_state_dict_loads(tmp_path):
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    torch.save(optimizer.state_dict(), tmp_path / "opt.pt")
    ours = lamina.load(tmp_path / "opt.pt")
    theirs = optimizer.state_dict()
    assert ours["param_groups"][0]["lr"] == theirs["param_groups"][0]["lr"]
    for key in ("exp_avg", "exp_avg_sq", "step"):
        np.testing.assert_array_equal(
            ours["state"][0][key].numpy(), theirs["state"][0][key].numpy()
        )


def test_file_objects_work(tmp_path):
    buffer = io.BytesIO()
    lamina.save({"x": lamina.ones(3)}, buffer)
    buffer.seek(0)
    assert torch.equal(torch.load(buffer, weights_only=True)["x"], torch.ones(3))
    buffer = io.BytesIO()
    torch.save(torch.nn.Parameter(torch.ones(2)), buffer)
    buffer.seek(0)
    loaded = lamina.load(buffer)
    assert loaded.requires_grad and np.array_equal(loaded.detach().numpy(), np.ones(2, np.float32))


def test_save_refuses_what_cannot_be_pickled_and_writes_nothing(tmp_path):
    class Local:  # a local class cannot be pickled, in torch either
        pass

    with pytest.raises(TypeError, match="state_dict"):
        lamina.save({"thing": Local()}, tmp_path / "x.pt")
    assert not os.path.exists(tmp_path / "x.pt")


def test_save_is_atomic_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "keep.pt"
    lamina.save({"x": lamina.ones(3)}, path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise KeyboardInterrupt  # a process killed mid-write

    monkeypatch.setattr("lamina.serialization._write_archive", explode)
    with pytest.raises(KeyboardInterrupt):
        lamina.save({"x": lamina.zeros(3)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.pt"]  # no temporary left behind


class _Payload:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _archive_with_pickle(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", "3\n")
    return buffer.getvalue()


def test_malicious_reduce_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"x": _Payload(f"touch {marker}")}, protocol=2)
    path = tmp_path / "evil.pt"
    path.write_bytes(_archive_with_pickle(payload))
    with pytest.raises(UnpicklingError, match="posix.system|os.system"):
        lamina.load(path)
    assert not marker.exists()
    assert issubclass(UnpicklingError, pickle.UnpicklingError)


def test_unknown_globals_are_refused(tmp_path):
    payload = pickle.dumps(collections.Counter("abc"), protocol=2)
    path = tmp_path / "counter.pt"
    path.write_bytes(_archive_with_pickle(payload))
    with pytest.raises(UnpicklingError, match="collections.Counter"):
        lamina.load(path)


class TwoLayers(lamina.nn.Module):
    """A user's model class, importable, so whole-model pickles can name it."""

    def __init__(self):
        super().__init__()
        self.body = lamina.nn.Sequential(lamina.nn.Linear(3, 4), lamina.nn.ReLU())
        self.head = lamina.nn.Linear(4, 2)
        self.register_buffer("scale", lamina.tensor(0.5))

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


def test_whole_model_round_trip_with_weights_only_false(tmp_path):
    model = TwoLayers().eval()
    lamina.save(model, tmp_path / "model.pt")
    loaded = lamina.load(tmp_path / "model.pt", weights_only=False)
    assert type(loaded) is TwoLayers and repr(loaded) == repr(model) and not loaded.training
    x = lamina.randn(5, 3)
    assert lamina.equal(loaded(x), model(x))
    assert loaded.head.weight is loaded.head._parameters["weight"]  # mirrors rebuilt
    loaded.head.weight.data.fill_(0)  # an independent copy, registered as a parameter
    assert model.head.weight.abs().sum().item() > 0
    assert [n for n, _ in loaded.named_parameters()] == [n for n, _ in model.named_parameters()]


def test_whole_model_file_is_refused_by_weights_only_load(tmp_path):
    lamina.save(TwoLayers(), tmp_path / "model.pt")
    with pytest.raises(UnpicklingError, match="TwoLayers"):
        lamina.load(tmp_path / "model.pt")


def test_torch_saved_whole_model_loads_as_lamina_layers(tmp_path):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2)).eval()
    torch.save(theirs, tmp_path / "torch_model.pt")
    ours = lamina.load(tmp_path / "torch_model.pt", weights_only=False)
    assert type(ours) is lamina.nn.Sequential and repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(lamina.from_numpy(x)).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())


def test_wrong_format_and_truncation_give_clear_errors(tmp_path):
    not_zip = tmp_path / "notes.txt"
    not_zip.write_bytes(b"hello world")
    with pytest.raises(RuntimeError, match="notes.txt.*not a PyTorch zip checkpoint"):
        lamina.load(not_zip)
    good = tmp_path / "good.pt"
    lamina.save({"x": lamina.ones(100)}, good)
    truncated = tmp_path / "cut.pt"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(RuntimeError, match="cut.pt"):
        lamina.load(truncated)


_GOOD = io.BytesIO()
torch.save({"w": torch.randn(4, 3), "b": torch.arange(3), "meta": {"epoch": 1}}, _GOOD)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, len(_GOOD.getvalue()) - 1), st.integers(0, 255)),
                min_size=1, max_size=8),
       st.integers(0, len(_GOOD.getvalue())))
def test_fuzzed_files_raise_only_clear_errors(flips, cut):
    data = bytearray(_GOOD.getvalue())
    for position, value in flips:
        data[position] = value
    data = bytes(data[:cut]) if cut else bytes(data)
    try:
        lamina.load(io.BytesIO(data))
    except (RuntimeError, UnpicklingError):
        pass


def test_seed_models_round_trip_with_torch(tmp_path):
    nn = pytest.importorskip("lamina.nn")
    if not hasattr(nn, "Linear") or not hasattr(nn, "Conv2d"):
        pytest.skip("layers not available")
    ours = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(16 * 16 * 16, 10))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2, 2), torch.nn.Flatten(),
                                 torch.nn.Linear(16 * 16 * 16, 10))
    lamina.save(ours.state_dict(), tmp_path / "ours.pt")
    theirs.load_state_dict(torch.load(tmp_path / "ours.pt", weights_only=True))
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    with lamina.no_grad():
        got = ours(lamina.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)

    torch.nn.init.normal_(theirs[0].weight)  # a torch-trained model's weights, reproduced
    torch.save(theirs.state_dict(), tmp_path / "theirs.pt")
    ours.load_state_dict(lamina.load(tmp_path / "theirs.pt"))
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    with lamina.no_grad():
        got = ours(lamina.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
