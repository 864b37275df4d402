"""Command line: `python -m lamina summary my_models.py:build_model --input-size 1,3,32,32`.

The target is `FILE.py:NAME` or `package.module:NAME`; NAME may be a function returning a
model, a Module class (instantiated without arguments) or a Module instance. Exit status: 0
when the table printed, 1 when the model failed on its input (the failure table names the
layer), 2 for a bad command line or target.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.replace(" ", "").strip("()[]").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a shape: {text!r} (expected comma-separated ints such as 1,3,32,32)"
        ) from None
    if not shape:
        raise argparse.ArgumentTypeError(f"not a shape: {text!r}")
    return shape


def _dtype(text: str):
    import lamina

    value = getattr(lamina, text.strip().removeprefix("torch.").removeprefix("lamina."), None)
    if not isinstance(value, lamina.dtype):
        raise argparse.ArgumentTypeError(f"not a dtype: {text!r} (try float32 or int64)")
    return value


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lamina", description="lamina command-line tools")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    summary = commands.add_parser(
        "summary", help="print a model's torchinfo-style summary table",
        description="Import a model and print lamina.summary's table for it.")
    summary.add_argument("target", help="FILE.py:NAME or package.module:NAME (a function "
                                        "returning a model, a Module class or instance)")
    summary.add_argument("--input-size", type=_shape, action="append", metavar="SHAPE",
                         help="input shape such as 2 or 1,3,32,32; repeat for several inputs")
    summary.add_argument("--dtypes", type=lambda text: [_dtype(t) for t in text.split(",")],
                         help="one dtype per input, e.g. int64 or float32,int64")
    summary.add_argument("--batch-dim", type=int, help="insert an axis of 1 at this position")
    summary.add_argument("--depth", type=int, default=3, help="deepest level shown (3)")
    summary.add_argument("--col-names", type=_names, metavar="NAMES",
                         help="comma-separated: input_size,output_size,num_params,"
                              "params_percent,kernel_size,mult_adds,trainable")
    summary.add_argument("--col-width", type=int, default=25)
    summary.add_argument("--row-settings", type=_names, metavar="NAMES",
                         help="comma-separated: depth,var_names,ascii_only,"
                              "hide_recursive_layers")
    summary.add_argument("--device", choices=("cpu", "meta"),
                         help="meta: shapes only, nothing computed")
    summary.add_argument("--mode", choices=("eval", "train", "same"))
    summary.add_argument("--verbose", type=int, choices=(1, 2), default=1)
    return parser


def load_target(target: str):
    """The model named by `FILE.py:NAME` or `module:NAME`; ValueError says what is wrong."""
    import lamina.nn

    location, colon, name = target.rpartition(":")
    if not colon or not location or not name:
        raise ValueError(f"expected FILE.py:NAME or module:NAME, got {target!r}")
    if location.endswith(".py") or os.sep in location:
        path = os.path.abspath(location)
        if not os.path.isfile(path):
            raise ValueError(f"no such file: {location}")
        sys.path.insert(0, os.path.dirname(path))  # so the file can import its neighbours
        spec = importlib.util.spec_from_file_location("_lamina_cli_models", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(location)
    try:
        value = getattr(module, name)
    except AttributeError:
        raise ValueError(f"{location} has no attribute {name!r}") from None
    if isinstance(value, lamina.nn.Module):
        return value
    if callable(value):
        value = value()
    if not isinstance(value, lamina.nn.Module):
        raise ValueError(f"{target} gave a {type(value).__name__}, not a lamina.nn.Module")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command != "summary":
        parser.print_help(sys.stderr)
        return 2
    import lamina

    try:
        model = load_target(args.target)
    except (ValueError, ImportError) as problem:
        print(f"lamina summary: {problem}", file=sys.stderr)
        return 2
    sizes = args.input_size
    input_size = None if sizes is None else (sizes[0] if len(sizes) == 1 else list(sizes))
    try:
        lamina.summary(model, input_size=input_size, batch_dim=args.batch_dim,
                       col_names=args.col_names, col_width=args.col_width, depth=args.depth,
                       device=args.device, dtypes=args.dtypes, mode=args.mode,
                       row_settings=args.row_settings, verbose=args.verbose)
    except Exception as error:
        if any("forward pass failed" in note for note in getattr(error, "__notes__", ())):
            # the failure table printed above names the layer and shows its error
            print(f"lamina summary: the model failed on its input ({type(error).__name__})",
                  file=sys.stderr)
            return 1
        print(f"lamina summary: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
