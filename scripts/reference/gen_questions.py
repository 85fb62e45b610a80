"""questions.json: the answers to the question bank's questions for the assignment's own
numbers (the params GET /questions lists), computed with PyTorch alone, so a test can check
that a correct answer sheet gets full marks and that the bank's defaults did not drift.

Run alone:  /usr/bin/python3 scripts/reference/gen_questions.py
"""
import os
import sys

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


def generate():
    torch.manual_seed(0)
    cases = []

    x = torch.tensor([1000.0, 1001.0, 1002.0], dtype=DT)
    cases.append({"name": "1.4-log-softmax", "params": {"x": [1000, 1001, 1002]}, "answer": torch.log_softmax(x, 0).tolist()})

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
    return cases, library_versions("torch")


if __name__ == "__main__":
    cases, source = generate()
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    n, size = write_fixture(os.path.join(root, "test", "fixtures", "questions.json"), source, cases, min_cases=9)
    for case in cases:
        print(case["name"], str(case["answer"])[:100])
