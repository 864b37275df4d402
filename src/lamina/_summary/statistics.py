"""ModelStatistics: the totals of a summary and its text, torchinfo 1.8.0's table to the byte."""

from __future__ import annotations

from lamina._summary.formatting import FormattingOptions, format_count


class ModelStatistics:
    """What `lamina.summary` returns: the records, the totals, and `str()` the table.

    Totals follow torchinfo: a leaf adds its parameters once (not when recursive) and its
    mult-adds and 2 x output bytes on every call; a container adds only the parameters no
    row below it accounts for, and no bytes for them.
    """

    def __init__(self, summary_list: list, input_size, total_input: int | None,
                 formatting: FormattingOptions):
        self.summary_list = summary_list
        self.input_size = input_size
        self.total_input = total_input
        self.formatting = formatting
        self.total_mult_adds = 0
        self.total_params = self.trainable_params = 0
        self.total_param_bytes = self.total_output_bytes = 0
        for record in summary_list:
            if record.is_leaf_layer:
                self.total_mult_adds += record.macs
                if record.num_params > 0:
                    self.total_output_bytes += 2 * record.output_bytes  # values + gradients
                if record.is_recursive:
                    continue
                self.total_params += max(record.num_params, 0)
                self.trainable_params += max(record.trainable_params, 0)
                self.total_param_bytes += record.param_bytes
            elif not record.is_recursive:
                # negative when tied weights are counted by two children: clamp, as torchinfo
                self.total_params += max(record.leftover_params(), 0)
                self.trainable_params += max(record.leftover_trainable_params(), 0)
        formatting.set_layer_name_width(summary_list)

    @staticmethod
    def to_megabytes(num_bytes: int | float) -> float:
        return num_bytes / 1e6

    def _head(self) -> tuple[str, str]:
        divider = "=" * self.formatting.total_width()
        return divider, f"{divider}\n{self.formatting.header_row()}{divider}\n"

    def __repr__(self) -> str:
        divider, text = self._head()
        text += self.formatting.rows(self.summary_list, self.total_params) + divider + "\n"
        text += (
            f"Total params{format_count(self.total_params, False)}\n"
            f"Trainable params{format_count(self.trainable_params, False)}\n"
            f"Non-trainable params"
            f"{format_count(self.total_params - self.trainable_params, False)}\n"
        )
        if self.input_size:
            total = self.total_input + self.total_output_bytes + self.total_param_bytes
            text += (
                f"Total mult-adds{format_count(self.total_mult_adds, True)}\n{divider}\n"
                f"Input size (MB): {self.to_megabytes(self.total_input):0.2f}\n"
                "Forward/backward pass size (MB): "
                f"{self.to_megabytes(self.total_output_bytes):0.2f}\n"
                f"Params size (MB): {self.to_megabytes(self.total_param_bytes):0.2f}\n"
                f"Estimated Total Size (MB): {self.to_megabytes(total):0.2f}\n"
            )
        return text + divider

    __str__ = __repr__

    def failure_text(self, error: BaseException) -> str:
        """The table up to the layer that raised, that row marked, then the error itself."""
        divider, text = self._head()
        formatting = self.formatting
        for record in self.summary_list:
            if not formatting.shown(record) and not record.failed:
                continue
            row = formatting.record_row(record, record.depth == formatting.max_depth,
                                        self.total_params)
            if record.failed:
                first, _, rest = row.partition("\n")
                row = f"{first}   <-- {type(error).__name__} raised here\n{rest}"
            text += row
        return f"{text}{divider}\n{type(error).__name__}: {error}"
