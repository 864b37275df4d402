"""Train the seeds' models on real handwritten digits: the job `make demo` runs.

    python -m lamina.examples.digits [--epochs N] [--model mlp|cnn|all] [--seed S]

The data is the UCI handwritten-digits set that scikit-learn ships inside its package
(1,797 grey 8x8 images, no download). A seeded 20% is held out for testing. For each model the
script prints its summary table, trains it with a progress bar per epoch, prints the test
accuracy, saves the trained weights with `lamina.save`, loads them into a freshly built model
and checks that the predictions are identical.

The models are the seeds' `nn.Sequential` networks, written as a PyTorch user would write
them (`import lamina as torch`), adapted to 8x8 inputs:
- the MLP of the nn.Sequential seed (784-128-64-10) with 64 inputs instead of 784;
- the seed's CNN (Conv-ReLU-MaxPool twice, Flatten, Linear) for 1x8x8 images, with the
  BatchNorm1d and Dropout of the seed's third example in its classifier head.
The seeds end with `nn.Softmax(dim=1)`; here the networks emit logits, because
`nn.CrossEntropyLoss` applies log-softmax itself, and softmax is applied for prediction.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time

import numpy as np

import lamina as torch
import lamina.nn as nn
from lamina.utils.data import DataLoader, TensorDataset

MODELS = ("mlp", "cnn")


def load_digits(seed: int, test_fraction: float = 0.2):
    """(train_images, train_labels, test_images, test_labels): float32 in [0, 1] and int64.

    Images have shape (N, 1, 8, 8). The split is a seeded permutation, the same for a seed.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise SystemExit(
            "The digits demo needs scikit-learn for its bundled dataset: "
            "pip install 'lamina[demo]' (or run `make demo`)."
        ) from None
    digits = sklearn_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # pixel values run 0..16
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = round(len(labels) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return images[train], labels[train], images[test], labels[test]


def build_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),          # (N, 1, 8, 8) -> (N, 64)
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def build_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),    # 8x8 -> 4x4
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),    # 4x4 -> 2x2
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(64, 10),
    )


BUILDERS = {"mlp": build_mlp, "cnn": build_cnn}
LEARNING_RATES = {"mlp": 2e-3, "cnn": 5e-3}


def predict(model: nn.Module, images: torch.Tensor) -> np.ndarray:
    """Class probabilities (N, 10) in eval mode."""
    model.eval()
    with torch.no_grad():
        return nn.functional.softmax(model(images), dim=1).numpy()


def train_model(name: str, data, epochs: int, seed: int, save_dir: str, progress: bool = True,
                batch_size: int = 32, out=sys.stdout) -> dict:
    """Build, summarise, train, test, save, reload and compare one model; return the results."""
    train_x, train_y, test_x, test_y = (torch.from_numpy(a) for a in data)
    torch.manual_seed(seed)
    model = BUILDERS[name]()
    print(f"\n=== {name.upper()} ===", file=out, flush=True)
    torch.summary(model, input_size=(batch_size, 1, 8, 8))

    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATES[name])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    started = time.perf_counter()
    history = torch.fit(model, loader, nn.CrossEntropyLoss(), optimizer, epochs,
                        metrics=["accuracy"], scheduler=scheduler, progress=progress)
    seconds = time.perf_counter() - started

    probabilities = predict(model, test_x)
    accuracy = float(np.mean(probabilities.argmax(1) == test_y.numpy()))
    print(f"{name}: {epochs} epochs in {seconds:.1f}s, test accuracy {accuracy:.2%} "
          f"on {len(test_y)} held-out digits", file=out, flush=True)

    path = os.path.join(save_dir, f"digits_{name}.pt")
    torch.save(model.state_dict(), path)
    fresh = BUILDERS[name]()
    fresh.load_state_dict(torch.load(path))
    identical = bool(np.array_equal(predict(fresh, test_x), probabilities))
    print(f"{name}: weights saved to {path}; reloaded into a new model: predictions "
          f"{'identical' if identical else 'DIFFERENT'}", file=out, flush=True)
    return {"model": name, "test_accuracy": accuracy, "identical_after_reload": identical,
            "seconds": seconds, "path": path, "history": history}


def _one_blas_thread():
    """Run NumPy's BLAS on one thread, if threadpoolctl (a scikit-learn dependency) is here.

    8x8 digits make small matrix products, for which OpenBLAS's worker threads cost more than
    they save: they spin and wait for each other, badly so when the cores are busy with other
    work (10x slower per step measured on a loaded 2-core machine).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(
        prog="python -m lamina.examples.digits",
        description="Train the seeds' MLP and CNN on scikit-learn's 8x8 handwritten digits.",
    )
    parser.add_argument("--epochs", type=int, default=15, help="passes over the data (15)")
    parser.add_argument("--model", choices=[*MODELS, "all"], default="all")
    parser.add_argument("--seed", type=int, default=0, help="split, initialisation, shuffling")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--save-dir", default=None,
                        help="where the trained weights go (default: a temporary directory)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")

    data = load_digits(args.seed)
    print(f"UCI digits: {len(data[1])} training and {len(data[3])} test images of 8x8 pixels",
          flush=True)
    names = MODELS if args.model == "all" else (args.model,)
    with tempfile.TemporaryDirectory() as scratch, _one_blas_thread():
        save_dir = args.save_dir or scratch
        os.makedirs(save_dir, exist_ok=True)
        results = [train_model(name, data, args.epochs, args.seed, save_dir,
                               progress=not args.no_progress, batch_size=args.batch_size)
                   for name in names]
    print("\nSummary", flush=True)
    for result in results:
        print(f"  {result['model']}: test accuracy {result['test_accuracy']:.2%}, "
              f"training {result['seconds']:.1f}s, reload identical: "
              f"{result['identical_after_reload']}", flush=True)
    if not all(r["identical_after_reload"] for r in results):
        raise SystemExit("reloaded weights gave different predictions")
    return results


if __name__ == "__main__":
    main()
