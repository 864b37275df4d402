"""How the summary table is laid out: column titles, widths, tree glyphs and one row's cells."""

from __future__ import annotations

import math

COLUMN_TITLES = {
    "input_size": "Input Shape",
    "output_size": "Output Shape",
    "num_params": "Param #",
    "params_percent": "Param %",
    "kernel_size": "Kernel Shape",
    "mult_adds": "Mult-Adds",
    "trainable": "Trainable",
}
ROW_SETTINGS = ("depth", "var_names", "ascii_only", "hide_recursive_layers")

_NO_PERCENT = "     --"  # five spaces then "--": lines up with ">7.2%" percentages


def _cell(value) -> str:
    return str(value) if value else "--"


class FormattingOptions:
    """The table's options: depth limit, verbosity, columns, widths and row flags."""

    def __init__(self, max_depth: int, verbose: int, col_names: tuple, col_width: int,
                 row_settings: set):
        self.max_depth = max_depth
        self.verbose = verbose
        self.col_names = col_names
        self.col_width = col_width
        self.row_settings = row_settings
        self.layer_name_width = 40
        self.ascii_only = "ascii_only" in row_settings
        self.show_var_name = "var_names" in row_settings
        self.show_depth = "depth" in row_settings
        self.hide_recursive_layers = "hide_recursive_layers" in row_settings

    def set_layer_name_width(self, records, align: int = 5) -> None:
        """Widen the name column, in steps of `align`, to fit every record (shown or not)."""
        longest = 0
        for record in records:
            name = record.layer_name(self.show_var_name, self.show_depth)
            longest = max(longest, len(name) + record.depth * align + 1)
        if longest >= self.layer_name_width:
            self.layer_name_width = math.ceil(longest / align) * align

    def total_width(self) -> int:
        return self.layer_name_width + self.col_width * len(self.col_names)

    def glyphs(self, depth: int) -> str:
        # the glyph never depends on being the last sibling: depth 1 is always a tee
        if depth == 0:
            return ""
        branch = "+ " if self.ascii_only else ("├─" if depth == 1 else "└─")
        return ("|    " if self.ascii_only else "│    ") * (depth - 1) + branch

    def format_row(self, name: str, cells: dict) -> str:
        """One line: name cell, then each column padded (never cut), right-stripped."""
        width = self.col_width
        line = f"{name:<{self.layer_name_width}} " + "".join(
            f"{cells.get(column, ''):<{width}} " for column in self.col_names)
        return line.rstrip() + "\n"

    def header_row(self) -> str:
        name = "Layer (type"
        if self.show_var_name:
            name += " (var_name)"
        if self.show_depth:
            name += ":depth-idx"
        return self.format_row(name + ")", COLUMN_TITLES)

    def record_row(self, record, at_max_depth: bool, total_params: int) -> str:
        full = at_max_depth or record.is_leaf_layer
        cells = {}
        for column in self.col_names:
            if column == "input_size":
                cells[column] = _cell(record.input_size)
            elif column == "output_size":
                cells[column] = _cell(record.output_size)
            elif column == "kernel_size":
                cells[column] = _cell(record.kernel_size)
            elif column == "num_params":
                cells[column] = _params_cell(record, full)
            elif column == "params_percent":
                cells[column] = _percent_cell(record, full, total_params)
            elif column == "mult_adds":
                cells[column] = _macs_cell(record, at_max_depth)
            else:
                cells[column] = record.trainable
        name = self.glyphs(record.depth) + record.layer_name(self.show_var_name, self.show_depth)
        text = self.format_row(name, cells)
        if self.verbose == 2:
            prefix = self.glyphs(record.depth + 1)
            for param_name, (kernel, count) in record.inner_layers.items():
                text += self.format_row(prefix + param_name,
                                        {"kernel_size": kernel, "num_params": count})
        return text

    def shown(self, record) -> bool:
        return record.depth <= self.max_depth and not (
            self.hide_recursive_layers and record.is_recursive)

    def rows(self, records, total_params: int) -> str:
        return "".join(self.record_row(r, r.depth == self.max_depth, total_params)
                       for r in records if self.shown(r))


def _params_cell(record, full: bool) -> str:
    # "--" is decided before "(recursive)": a reused ReLU shows "--"
    if record.num_params == 0:
        return "--"
    if record.is_recursive:
        return "(recursive)"
    if full:
        text = f"{record.num_params:,}"
        return text if record.trainable_params else f"({text})"
    leftover = record.leftover_params()
    return f"{leftover:,}" if leftover > 0 else "--"


def _percent_cell(record, full: bool, total_params: int) -> str:
    if total_params == 0:
        return _NO_PERCENT
    if record.is_recursive:
        return "(recursive)"
    params = record.num_params if full else record.leftover_params()
    if params == 0:
        return _NO_PERCENT
    return f"{params / total_params:>7.2%}"


def _macs_cell(record, at_max_depth: bool) -> str:
    if record.macs <= 0:
        return "--"
    if record.is_leaf_layer:
        return f"{record.macs:,}"
    if at_max_depth:
        return f"{sum(child.macs for child in record.children if child.is_leaf_layer):,}"
    return "--"


def format_count(value: int | float, auto_units: bool) -> str:
    """`: 1,234` for parameter counts; ` (Units.MEGABYTES): 1.23` for mult-adds.

    The unit text is the literal `Units.MEGABYTES` (not `M`): torchinfo 1.8.0 prints its
    str-mixin enum member that way on Python 3.11+, and users compare against that text.
    """
    unit = ""
    if auto_units:
        if value >= 1e12:
            unit, value = " (Units.TERABYTES)", value / 1e12
        elif value >= 1e9:
            unit, value = " (Units.GIGABYTES)", value / 1e9
        else:
            unit, value = " (Units.MEGABYTES)", value / 1e6
    else:
        value = value / 1
    if value.is_integer():
        return f"{unit}: {int(value):,d}"
    return f"{unit}: {value:,.2f}"
