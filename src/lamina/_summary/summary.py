"""`lamina.summary`: torchinfo 1.8.0's model table, recorded with forward hooks.

The arguments, defaults, row order and arithmetic are torchinfo's, so `str()` of the result is
byte-identical to what torchinfo prints for the same architecture in PyTorch. Two additions:
`device="meta"` records the table from shapes alone (no weights touched, nothing computed), and
when the model does not fit its input, the table up to the failing layer is printed with that
row marked, followed by the layer's own error, which is then re-raised unchanged.
"""

from __future__ import annotations

import sys

import numpy as np

import lamina
from lamina._device import check_available
from lamina._summary import inputs as _inputs
from lamina._summary.formatting import COLUMN_TITLES, ROW_SETTINGS, FormattingOptions
from lamina._summary.records import LayerRecord, product, size_of
from lamina._summary.statistics import ModelStatistics

_NEEDS_INPUT = ("input_size", "output_size", "mult_adds")
_MODES = ("train", "eval", "same")

# torchinfo's cache_forward_pass: records of the last forward pass, keyed by model class name.
_cached_forward_pass: dict[str, list] = {}


def clear_cached_forward_pass() -> None:
    """Forget every forward pass stored by `cache_forward_pass=True`."""
    _cached_forward_pass.clear()


def _choices(values, allowed, kind: str) -> list:
    chosen = []
    for value in values:
        if value not in allowed:
            raise ValueError(f"{value!r} is not a valid {kind}")
        chosen.append(value)
    return chosen


def summary(model, input_size=None, input_data=None, batch_dim=None, cache_forward_pass=None,
            col_names=None, col_width=25, depth=3, device=None, dtypes=None, mode=None,
            row_settings=None, verbose=None, **kwargs) -> ModelStatistics:
    """Summarise `model` as torchinfo 1.8.0 does; print the table and return the statistics.

    No batch axis is added to `input_size` unless `batch_dim` is given. `device` may be
    None, "cpu" or "meta" (shapes only: the model's weights are swapped for data-less
    stand-ins during the pass and restored afterwards). `mode` is "eval" (default), "train"
    or "same" (leave the model's mode alone). `**kwargs` go to the model's forward.
    """
    have_input = input_data is not None or input_size is not None
    if col_names is None:
        columns = ("output_size", "num_params") if have_input else ("num_params",)
    else:
        columns = tuple(_choices(col_names, COLUMN_TITLES, "ColumnSettings"))
    rows = {"depth"} if row_settings is None else set(
        _choices(row_settings, ROW_SETTINGS, "RowSettings"))
    mode = "eval" if mode is None else _choices([mode], _MODES, "Mode")[0]
    if verbose is None:
        verbose = 0 if getattr(sys, "ps1", None) else 1
    meta = check_available(device).type == "meta" if device is not None else False
    _validate(input_data, input_size, columns, col_width, verbose)

    x, sizes = None, []
    if input_data is not None:
        sizes = _inputs.input_sizes(input_data)
        x = [input_data] if isinstance(input_data, (lamina.Tensor, np.ndarray)) \
            else input_data
        if meta:
            x = _inputs.traverse(x, _meta_copy, type)
    elif input_size is not None:
        if dtypes is None:
            dtypes = [lamina.float32] * len(input_size)
        sizes = _inputs.normalize_input_size(input_size)
        x = _inputs.made_up_inputs(sizes, batch_dim, dtypes, meta)
    if meta:  # keyword tensors go to the model's device too, as in torchinfo
        kwargs = _inputs.traverse(kwargs, _meta_copy, type)

    formatting = FormattingOptions(depth, verbose, columns, col_width, rows)
    records = _forward_pass(model, x, batch_dim, bool(cache_forward_pass), mode, meta,
                            formatting, kwargs)
    total_input = None if x is None else _inputs.total_input_bytes(x)
    result = ModelStatistics(records, sizes, total_input, formatting)
    if verbose > 0:
        print(result)
    return result


def _validate(input_data, input_size, columns, col_width, verbose) -> None:
    if col_width <= 0:
        raise ValueError(f"Column width must be greater than 0: col_width={col_width}")
    if verbose not in (0, 1, 2):
        raise ValueError("Verbose must be either 0 (quiet), 1 (default), or 2 (verbose).")
    if input_data is not None and input_size is not None:
        raise RuntimeError("Only one of (input_data, input_size) should be specified.")
    missing = {c for c in columns if c in _NEEDS_INPUT}
    if input_data is None and input_size is None and missing:
        raise ValueError(
            f"You must pass input_data or input_size in order to use columns: {missing}")


def _meta_copy(tensor):
    from lamina._meta import to_meta

    return to_meta(tensor)


# ---------------------------------------------------------------------- recording
class _Recorder:
    """Walks the module tree once, then makes one record per module call through hooks."""

    def __init__(self, model, batch_dim):
        self.batch_dim = batch_dim
        self.records: list[LayerRecord] = []
        self.seen: set[int] = set()
        self.running: dict[int, LayerRecord] = {}  # module id -> its latest started record
        self.handles: dict[int, tuple] = {}
        self.model = model

    def walk(self, with_input: bool) -> None:
        """Depth-first, registration order; a module reached twice keeps its last position."""
        stack = [(type(self.model).__name__, self.model, 0, None)]
        while stack:
            var_name, module, depth, parent = stack.pop()
            placeholder = LayerRecord(module, var_name, depth, parent)
            if with_input:
                for handle in self.handles.pop(id(module), ()):
                    handle.remove()
                self.handles[id(module)] = (
                    module.register_forward_pre_hook(self._pre_hook(var_name, depth, parent)),
                    module.register_forward_hook(self._post_hook),
                )
            else:
                self._start(module, var_name, depth, parent)
            stack.extend((name, child, depth + 1, placeholder)
                         for name, child in reversed(module._modules.items())
                         if child is not None)

    def _start(self, module, var_name, depth, parent) -> LayerRecord:
        record = LayerRecord(module, var_name, depth, parent)
        record.calculate_num_params()
        record.check_recursive(self.seen)
        self.records.append(record)
        self.seen.add(record.layer_id)
        self.running[record.layer_id] = record
        return record

    def _pre_hook(self, var_name, depth, parent):
        def pre_hook(module, args):
            self._start(module, var_name, depth, parent).call_args = args
        return pre_hook

    def _post_hook(self, module, args, output):
        record = self.running[id(module)]
        record.call_args = None
        if record.contains_lazy_param:
            record.calculate_num_params()
        record.input_size, _ = size_of(args, self.batch_dim)
        record.output_size, element_size = size_of(output, self.batch_dim)
        record.output_bytes = element_size * product(record.output_size)
        record.executed = True
        record.calculate_macs()

    def remove_hooks(self) -> None:
        for handles in self.handles.values():
            for handle in handles:
                handle.remove()
        self.handles.clear()


def _forward_pass(model, x, batch_dim, use_cache, mode, meta, formatting, kwargs) -> list:
    """The final record list: from the cache, the registration walk, or one forward pass."""
    name = type(model).__name__
    if use_cache and name in _cached_forward_pass:
        return _cached_forward_pass[name]
    recorder = _Recorder(model, batch_dim)
    recorder.walk(with_input=x is not None)
    if x is None:
        _number_rows(recorder.records)
        return recorder.records

    saved_training = model.training
    swapped = _swap_to_meta(model) if meta else None
    try:
        if mode == "train":
            model.train()
        elif mode == "eval":
            model.eval()
        with lamina.no_grad():
            if isinstance(x, dict):
                model(**x, **kwargs)
            else:
                model(*x, **kwargs)
    except Exception as error:
        records = recorder.records
        running = [r for r in records if not r.executed]  # the failing layer and its callers
        for record in running:
            try:
                record.input_size = size_of(record.call_args or (), batch_dim)[0]
            except TypeError:  # an argument the table cannot size: leave the cell empty
                pass
        if running:
            running[-1].failed = True
        _add_missing_containers(records)
        _number_rows(records)
        text = ModelStatistics(records, [], None, formatting).failure_text(error)
        if formatting.verbose > 0:
            print(text)
        executed = [r for r in records if r.executed]
        error.add_note(f"lamina.summary: the forward pass failed; executed layers up to: "
                       f"{executed}")
        raise
    finally:
        recorder.remove_hooks()
        if mode != "same":
            model.train(saved_training)
        if swapped is not None:
            _restore(swapped)

    records = recorder.records
    for record in records:
        record.call_args = None
    _add_missing_containers(records)
    _number_rows(records)
    _cached_forward_pass[name] = records
    return records


def _swap_to_meta(model) -> list:
    """Give every parameter and buffer a data-less array of its shape; return how to undo."""
    from lamina._meta import meta_array
    from lamina.nn.modules.lazy import UninitializedBuffer, UninitializedParameter

    swapped = []
    for tensor in list(model.parameters()) + list(model.buffers()):
        if isinstance(tensor, (UninitializedParameter, UninitializedBuffer)):
            continue  # materialised by the pass itself
        stand_in = meta_array(tensor._array.shape, tensor._array.dtype)
        swapped.append((tensor, tensor._array, stand_in))
        tensor._array = stand_in
    return swapped


def _restore(swapped) -> None:
    for tensor, array, stand_in in swapped:
        if tensor._array is stand_in:  # untouched by the pass
            tensor._array = array


def _add_missing_containers(records: list) -> None:
    """Insert the placeholder rows of containers that never ran (a ModuleList, say) above
    their children, again each time another module at that depth ran in between."""
    seen = {r.layer_id for r in records}
    current: dict[int, LayerRecord] = {}
    index = 0
    while index < len(records):
        record = records[index]
        ancestors = {}
        parent = record.parent_info
        while parent is not None and parent.depth > 0:
            ancestors[parent.depth] = parent
            parent = parent.parent_info
        at = index
        for level in range(1, record.depth):
            placeholder = ancestors[level]
            shown = current.get(level)
            if (shown is None or shown.module is not placeholder.module) \
                    and placeholder is not records[at - 1]:
                placeholder.calculate_num_params()
                placeholder.check_recursive(seen)
                records.insert(at, placeholder)
                seen.add(placeholder.layer_id)
                current[level] = placeholder
                at += 1
        current[record.depth] = record
        level = record.depth + 1
        while level in current:
            del current[level]
            level += 1
        # the inserted placeholders (and this record again) are visited next, as in torchinfo
        index += 1


def _number_rows(records: list) -> None:
    """Depth-index counters per depth over the whole table; descendants of every record."""
    counters: dict[int, int] = {}
    for position, record in enumerate(records):
        counters[record.depth] = counters.get(record.depth, 0) + 1
        record.depth_index = counters[record.depth]
        end = position + 1
        while end < len(records) and records[end].depth > record.depth:
            end += 1
        record.children = records[position + 1:end]
