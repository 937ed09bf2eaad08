"""Train a two-layer MLP with plain SGD on a synthetic three-class problem, with tapegrad.

Run: python docs/examples/mlp.py [--epochs N] [--seed S]

The data (three interleaved spiral arms in the plane) is made here, so the example
needs nothing but tapegrad. The loop is the one every PyTorch user knows: forward,
loss, backward, then an in-place parameter update under ``no_grad``.
"""

from __future__ import annotations

import argparse

import numpy as np

import tapegrad as tg


def make_spirals(points_per_class: int, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points on ``classes`` spiral arms with a little noise, and their integer labels."""
    xs, ys = [], []
    for k in range(classes):
        r = np.linspace(0.05, 1.0, points_per_class)
        theta = np.linspace(k * 4.0, (k + 1) * 4.0, points_per_class) + rng.normal(0, 0.2, points_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(points_per_class, k))
    return np.concatenate(xs), np.concatenate(ys)


def init_params(sizes: list[int], rng: np.random.Generator) -> list[tg.Tensor]:
    """Weights with variance 1/fan_in, zero biases; all leaves that require grad."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_in, fan_out))
        params += [tg.tensor(w, dtype=tg.float32, requires_grad=True), tg.zeros(fan_out, requires_grad=True)]
    return params


def forward(params: list[tg.Tensor], x: tg.Tensor) -> tg.Tensor:
    """Logits of the MLP: linear, tanh, linear."""
    w1, b1, w2, b2 = params
    return (x @ w1 + b1).tanh() @ w2 + b2


def cross_entropy(logits: tg.Tensor, onehot: tg.Tensor) -> tg.Tensor:
    """Mean negative log-likelihood of the true classes."""
    return -(tg.log_softmax(logits, dim=1) * onehot).sum(dim=1).mean()


def train(epochs: int = 200, hidden: int = 64, lr: float = 1.0, seed: int = 0,
          verbose: bool = True) -> tuple[list[float], float]:
    """Train and return the loss of every epoch and the final training accuracy."""
    rng = np.random.default_rng(seed)
    points, labels = make_spirals(100, 3, rng)
    x = tg.tensor(points, dtype=tg.float32)
    onehot = tg.tensor(np.eye(3)[labels], dtype=tg.float32)
    params = init_params([2, hidden, 3], rng)
    losses = []
    for epoch in range(epochs):
        loss = cross_entropy(forward(params, x), onehot)
        loss.backward()
        with tg.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
        if verbose and (epoch % 10 == 0 or epoch == epochs - 1):
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}")
    with tg.no_grad():
        predicted = forward(params, x).argmax(dim=1)
    accuracy = float((predicted.numpy() == labels).mean())
    if verbose:
        print(f"training accuracy {accuracy:.3f}")
    return losses, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(epochs=args.epochs, seed=args.seed)


if __name__ == "__main__":
    main()
