"""questions.json: the answers to the question bank's questions for the assignment's own
numbers (the params GET /questions lists), computed with PyTorch (and mpmath for question
1.1's maximum), so a test can check that a correct answer sheet gets full marks and that the
bank's defaults did not drift.

Run alone:  /usr/bin/python3 scripts/reference/gen_questions.py
"""
import os
import sys

import mpmath
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import library_versions, write_fixture  # noqa: E402

DT = torch.float64
Q5 = " → ".join("Conv-3x3(padding=1, out=%d)" % (1 if i == 3 else 16) for i in range(4))


def conv_matrix(H, W, kernel, stride, padding, transposed):
    """Column j is the layer applied to the j-th basis image (row-major): y = A x."""
    k = torch.tensor(kernel, dtype=DT)[None, None]
    cols = []
    for j in range(H * W):
        x = torch.zeros(H * W, dtype=DT)
        x[j] = 1
        x = x.reshape(1, 1, H, W)
        y = F.conv_transpose2d(x, k, stride=stride, padding=padding) if transposed else F.conv2d(x, k, stride=stride, padding=padding)
        cols.append(y.flatten())
    return torch.stack(cols, dim=1).tolist()


def shape_after(modules, size):
    x = torch.zeros(1, 1, size, size, dtype=DT)
    for m in modules:
        x = m.to(DT)(x)
    return list(x.shape[2:])


def swish_distance_to_relu(beta, lo, hi):
    """max over [lo, hi] of |x·σ(βx) − ReLU(x)|, by mpmath at 60 digits, without the closed form.

    g(x) = x·σ(βx) − ReLU(x) is smooth on each side of 0, so the maximum of |g| is at lo, hi, 0
    or a critical point: g′(x) = σ(βx) + βx·σ(βx)·σ(−βx) − [x > 0] has one root on each side,
    found by bisection-safe findroot (Anderson) on g′ as written, not from t* = 1 + e^{−t*}.
    A float64 torch.sigmoid grid of 200001 points must come within 1e-6 (relatively) below it
    and never above.
    """
    with mpmath.workdps(60):
        b = mpmath.mpf(beta)

        def sigmoid(t):
            return 1 / (1 + mpmath.exp(-t))

        def gap(x):
            return x * sigmoid(b * x) - max(x, 0)

        def slope(x):
            return sigmoid(b * x) + b * x * sigmoid(b * x) * sigmoid(-b * x) - (1 if x > 0 else 0)

        candidates = [mpmath.mpf(lo), mpmath.mpf(hi), mpmath.mpf(0)]
        for side in (-1, 1):
            # g′ changes sign between 0.5/β and 3/β on each side.
            candidates.append(mpmath.findroot(slope, (side * mpmath.mpf(0.5) / b, side * mpmath.mpf(3) / b), solver="anderson"))
        inside = [x for x in candidates if lo <= x <= hi]
        best = max(abs(gap(x)) for x in inside)
    grid = torch.linspace(lo, hi, 200001, dtype=DT)
    sampled = (grid * torch.sigmoid(beta * grid) - torch.relu(grid)).abs().max().item()
    assert float(best) * (1 - 1e-6) <= sampled <= float(best) * (1 + 1e-12), (beta, lo, hi, sampled, best)
    return float(best)


def relu_coefficients(breakpoints, slopes, at):
    """[b, a, c] of f(x) = b·ReLU(β − x) + a·ReLU(x − α) + c for slopes −b, 0, a through `at`,
    checked by autograd: f′ is slopes[0] left of β, 0 between, slopes[1] right of α, f(at.x) = at.y.
    """
    beta, alpha = breakpoints
    b, a = -slopes[0], slopes[1]

    def f(x, c):
        return b * torch.relu(beta - x) + a * torch.relu(x - alpha) + c

    c = at["y"] - f(torch.tensor(float(at["x"]), dtype=DT), 0.0).item()
    assert f(torch.tensor(float(at["x"]), dtype=DT), c).item() == at["y"]
    points = torch.tensor([beta - 1.5, (beta + alpha) / 2, alpha + 1.5], dtype=DT, requires_grad=True)
    (derivative,) = torch.autograd.grad(f(points, c).sum(), points)
    assert derivative.tolist() == [slopes[0], 0.0, slopes[1]], derivative
    return [float(b), float(a), c]


def generate():
    torch.manual_seed(0)
    cases = []

    cases.append({"name": "1.1-swish", "params": {"beta": 10, "interval": [-5, 5]}, "answer": swish_distance_to_relu(10, -5, 5)})
    relu = {"breakpoints": [-1, 2], "slopes": [-2, 3], "at": {"x": 4, "y": 1}}
    cases.append({"name": "1.2-relu-decomposition", "params": relu, "answer": relu_coefficients(**relu)})

    x = torch.tensor([1000.0, 1001.0, 1002.0], dtype=DT)
    cases.append({"name": "1.4-log-softmax", "params": {"x": [1000, 1001, 1002]}, "answer": torch.log_softmax(x, 0).tolist()})

    pi, weights, point = [0.3, 0.7], [[1, -2], [0.5, 0.5]], [1, 2]
    probability = torch.tensor(pi, dtype=DT) @ torch.sigmoid(torch.tensor(weights, dtype=DT) @ torch.tensor(point, dtype=DT))
    cases.append({"name": "2-logistic-mixture", "params": {"pi": pi, "weights": weights, "x": point}, "answer": probability.item()})

    mlp = nn.Sequential(nn.Linear(32, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    n = sum(p.numel() for p in mlp.parameters())
    cases.append({"name": "3.2-param-count", "params": {"sizes": [32, 512, 512, 10]}, "answer": n})
    cases.append({"name": "3.2-hessian-shape", "params": {"sizes": [32, 512, 512, 10]}, "answer": [n, n]})

    w = torch.tensor([1.0, 2.0, 3.0], dtype=DT, requires_grad=True)
    v = torch.tensor([1.0, 0.0, -1.0], dtype=DT)
    f = w[0] ** 2 * w[1] + torch.sin(w[1]) * w[2]
    (g,) = torch.autograd.grad(f, w, create_graph=True)
    (hv,) = torch.autograd.grad(g @ v, w)
    cases.append({"name": "3.6-hvp", "params": {"model": {"kind": "expression", "expression": "x^2*y + sin(y)*z", "variables": ["x", "y", "z"]},
                                                 "w": [1, 2, 3], "v": [1, 0, -1]}, "answer": hv.tolist()})

    q41 = [nn.Conv2d(1, 1, 3), nn.ReLU(), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3), nn.ReLU()]
    cases.append({"name": "4.1-output-shape", "params": {"input": 32, "architecture": "Image → Conv-3x3 → ReLU → Conv-3x3 → MaxPool-2x2 → Conv-3x3 → ReLU → Output"},
                  "answer": shape_after(q41, 32)})

    kernel3 = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    cases.append({"name": "4.3-conv-matrix", "params": {"input": 3, "kernel": kernel3, "stride": 2, "padding": 1},
                  "answer": conv_matrix(3, 3, kernel3, 2, 1, False)})
    kernel2 = [[1, 2], [3, 4]]
    cases.append({"name": "4.4-transposed-conv-matrix", "params": {"input": 2, "kernel": kernel2, "stride": 2, "padding": 0},
                  "answer": conv_matrix(2, 2, kernel2, 2, 0, True)})

    q5 = [nn.Conv2d(1, 1, 3, padding=1) for _ in range(4)]
    cases.append({"name": "5.1-output-shape", "params": {"input": 32, "architecture": Q5}, "answer": shape_after(q5, 32)})

    # Receptive field by autograd: the input pixels a centre output feature depends on
    # (all-ones kernels, so no weight cancels a path).
    x = torch.zeros(1, 1, 32, 32, dtype=DT, requires_grad=True)
    y = x
    for _ in range(4):
        y = F.conv2d(y, torch.ones(1, 1, 3, 3, dtype=DT), padding=1)
    (grad,) = torch.autograd.grad(y[0, 0, 16, 16], x)
    rows, cols = torch.nonzero(grad[0, 0], as_tuple=True)
    field = [int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)]
    cases.append({"name": "5.3-receptive-field", "params": {"architecture": Q5}, "answer": field})

    # The Hessian of f(w) = ½wᵀAw by autograd (not from A), then LAPACK's symmetric eigensolver.
    A = [[2, 1], [1, 3]]
    w = torch.zeros(2, dtype=DT, requires_grad=True)
    hessian = torch.autograd.functional.hessian(lambda w: 0.5 * w @ torch.tensor(A, dtype=DT) @ w, w)
    cases.append({"name": "3.1-largest-eigenvalue", "params": {"A": A}, "answer": torch.linalg.eigvalsh(hessian).max().item()})
    return cases, library_versions("torch", "mpmath")


if __name__ == "__main__":
    cases, source = generate()
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    n, size = write_fixture(os.path.join(root, "test", "fixtures", "questions.json"), source, cases, min_cases=13)
    for case in cases:
        print(case["name"], str(case["answer"])[:100])
