#!/usr/bin/python3
"""spectrum.json: Hessian eigenvalues and traces from NumPy, SciPy and PyTorch (float64).

Run from the repository root with a Python that has NumPy, SciPy and PyTorch:

    python3 scripts/reference/gen_spectrum.py

Two kinds of case, both `{name, model, eigenvalues, trace}` with `model` the service's
model object (the shape of /hvp's `model`):

- quadratic, f(w) = 1/2 w^T A w: the Hessian is S = 0.5 * (A + A.T) whatever w is (A need
  not be symmetric). `eigenvalues` is numpy.linalg.eigvalsh(S) (LAPACK dsyevd, ascending),
  checked against scipy.linalg.eigh(S, eigvals_only=True) (dsyevr) to 1e-13 relative to
  max |lambda|; `trace` is math.fsum of A's diagonal (S's diagonal is A's, exactly), the
  correctly rounded sum. The matrices, every entry written exactly:
    * n = 1 (positive and negative), n = 2 (upper triangular: the Hessian is not A);
    * n = 3 zero matrix (every eigenvalue 0);
    * n = 5 random non-symmetric, entries N(0, 1) rounded to 3 decimals;
    * n = 6 all ones: rank 1, eigenvalues 0 (five times) and 6, exactly repeated;
    * n = 8 Q diag(4, 4, 4, 1, 1, -2, -2, 0.5) Q^T for a random orthogonal Q: repeated
      eigenvalues up to rounding, indefinite;
    * n = 50 random non-symmetric (indefinite), rank 1 (u u^T, u integers in [-3, 3]) and
      positive semi-definite of rank 20 (B B^T / 20, B 50 x 20 rounded to 3 decimals);
    * n = 200 random non-symmetric;
    * n = 300 random non-symmetric plus (30, 25, 20, -22) added to four diagonal entries:
      a bulk and a few outliers, the shape of a trained network's Hessian spectrum.
  Random entries are N(0, 1) rounded to 3 decimals, so the file stays small (~1 MB) and
  every matrix is exactly the doubles written.
- mlp: nn.Sequential(Linear, act, ..., Linear) with PyTorch's parameter layout (per layer
  weight [out][in] row-major, then bias), mean cross-entropy or MSE, at a point w drawn
  N(0, 0.5^2), inputs N(0, 1). The Hessian is torch.autograd.functional.hessian of the
  loss written by hand with F.linear on slices of w, checked against the same Hessian of a
  real nn.Sequential (torch.func.functional_call) to 1e-13 and for symmetry; `eigenvalues`
  is torch.linalg.eigvalsh of 0.5 * (H + H^T), checked against numpy.linalg.eigvalsh;
  `trace` is math.fsum of H's diagonal. For relu, draws with a hidden pre-activation within
  1e-3 of 0 are redrawn (the Hessian is that of the linear piece either side).
"""
import math
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ inside scripts/reference/
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import common  # noqa: E402
from common import library_versions, write_fixture  # noqa: E402
# The MLP in PyTorch's parameter layout, as /hvp's references build it.
from gen_hvp import mlp_forward as forward, param_count, sequential_mlp  # noqa: E402

torch.set_num_threads(1)  # bit-for-bit reproducible float64 sums
torch.use_deterministic_algorithms(True)

DT = torch.float64
SEED = 20260515
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "spectrum.json")
STATS = {"scipy-vs-numpy": 0.0, "torch-vs-numpy": 0.0, "hessian-routes": 0.0, "asymmetry": 0.0}


def pos0(x):
    """float, with -0.0 turned into +0.0 (the sign of a zero eigenvalue means nothing)."""
    return float(x) + 0.0


def checked_eigenvalues(S):
    """numpy.linalg.eigvalsh(S), ascending, checked against SciPy's other LAPACK driver."""
    values = np.linalg.eigvalsh(S)
    other = scipy.linalg.eigh(S, eigvals_only=True, driver="evr")
    scale = max(1.0, float(np.abs(values).max()))
    err = float(np.abs(values - other).max()) / scale
    STATS["scipy-vs-numpy"] = max(STATS["scipy-vs-numpy"], err)
    assert err < 1e-13, err
    return [pos0(v) for v in values]


def rounded(nrng, rows, cols):
    return np.round(nrng.standard_normal((rows, cols)), 3)


def quadratic_case(name, A):
    A = np.asarray(A, dtype=np.float64)
    S = 0.5 * (A + A.T)
    return {"name": name, "model": {"kind": "quadratic", "A": [[pos0(a) for a in row] for row in A]},
            "eigenvalues": checked_eigenvalues(S), "trace": pos0(math.fsum(np.diag(A)))}


def quadratic_cases(nrng):
    cases = [
        quadratic_case("quadratic-n1-positive", [[2.5]]),
        quadratic_case("quadratic-n1-negative", [[-0.75]]),
        quadratic_case("quadratic-n2-upper-triangular", [[1.0, 4.0], [0.0, 3.0]]),
        quadratic_case("quadratic-n3-zero", np.zeros((3, 3))),
        quadratic_case("quadratic-n5-random", rounded(nrng, 5, 5)),
        quadratic_case("quadratic-n6-ones-rank1", np.ones((6, 6))),
    ]
    Q, _ = np.linalg.qr(nrng.standard_normal((8, 8)))
    M = Q @ np.diag([4.0, 4.0, 4.0, 1.0, 1.0, -2.0, -2.0, 0.5]) @ Q.T
    cases.append(quadratic_case("quadratic-n8-repeated", 0.5 * (M + M.T)))
    cases.append(quadratic_case("quadratic-n50-indefinite", rounded(nrng, 50, 50)))
    u = nrng.integers(-3, 4, size=50).astype(np.float64)
    u[0] = 3.0  # never the zero vector
    cases.append(quadratic_case("quadratic-n50-rank1", np.outer(u, u)))
    B = rounded(nrng, 50, 20)
    cases.append(quadratic_case("quadratic-n50-psd-rank20", B @ B.T / 20))
    cases.append(quadratic_case("quadratic-n200-random", rounded(nrng, 200, 200)))
    A = rounded(nrng, 300, 300)
    for i, spike in zip((7, 100, 201, 299), (30.0, 25.0, 20.0, -22.0)):
        A[i, i] += spike
    cases.append(quadratic_case("quadratic-n300-outliers", A))
    return cases


# ===================================================================== MLPs

def loss_of(out, loss, targets):
    if loss == "cross-entropy":
        return F.cross_entropy(out, torch.tensor(targets, dtype=torch.long))
    return F.mse_loss(out, torch.tensor(targets, dtype=DT))


def sequential_hessian(sizes, act, loss, X, targets, w):
    """The Hessian of a real nn.Sequential's loss in its parameters, flattened in parameters() order."""
    model = sequential_mlp(sizes, act)
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]

    def f(flat):
        params, o = {}, 0
        for name, shape in zip(names, shapes):
            k = math.prod(shape)
            params[name] = flat[o:o + k].reshape(shape)
            o += k
        return loss_of(torch.func.functional_call(model, params, (X,)), loss, targets)

    return torch.autograd.functional.hessian(f, w)


def mlp_case(name, sizes, act, loss, nrng, batch):
    n = param_count(sizes)
    for _ in range(1000):
        w = [float(a) for a in nrng.standard_normal(n) * 0.5]
        inputs = [[float(a) for a in nrng.standard_normal(sizes[0])] for _ in range(batch)]
        pre = []
        forward(torch.tensor(w, dtype=DT), sizes, act, torch.tensor(inputs, dtype=DT), pre)
        if act != "relu" or min(p.abs().min().item() for p in pre) > 1e-3:
            break
    else:
        raise AssertionError("no relu draw away from 0 for " + name)
    if loss == "cross-entropy":
        targets = [int(t) for t in nrng.integers(0, sizes[-1], size=batch)]
    else:
        targets = [[float(a) for a in nrng.standard_normal(sizes[-1])] for _ in range(batch)]
    X = torch.tensor(inputs, dtype=DT)
    wt = torch.tensor(w, dtype=DT)
    H = torch.autograd.functional.hessian(lambda x: loss_of(forward(x, sizes, act, X), loss, targets), wt)
    scale = max(1.0, H.abs().max().item())
    route = (H - sequential_hessian(sizes, act, loss, X, targets, wt)).abs().max().item() / scale
    asymmetry = (H - H.T).abs().max().item() / scale
    STATS["hessian-routes"] = max(STATS["hessian-routes"], route)
    STATS["asymmetry"] = max(STATS["asymmetry"], asymmetry)
    assert route < 1e-13 and asymmetry < 1e-13, (name, route, asymmetry)
    S = 0.5 * (H + H.T)
    values = torch.linalg.eigvalsh(S)
    numpy_values = np.linalg.eigvalsh(S.numpy())
    err = float(np.abs(values.numpy() - numpy_values).max()) / max(1.0, float(np.abs(numpy_values).max()))
    STATS["torch-vs-numpy"] = max(STATS["torch-vs-numpy"], err)
    assert err < 1e-13, (name, err)
    model = {"kind": "mlp", "sizes": sizes, "activation": act, "loss": loss, "inputs": inputs, "targets": targets}
    return {"name": name, "model": model, "w": w, "eigenvalues": [pos0(v) for v in values.tolist()],
            "trace": pos0(math.fsum(torch.diagonal(H).tolist()))}


def mlp_cases(nrng):
    return [
        mlp_case("mlp-tanh-ce-3-4-2-b5", [3, 4, 2], "tanh", "cross-entropy", nrng, 5),
        mlp_case("mlp-relu-mse-2-5-3-b5", [2, 5, 3], "relu", "mse", nrng, 5),
        mlp_case("mlp-softplus-ce-4-8-8-3-b6", [4, 8, 8, 3], "softplus", "cross-entropy", nrng, 6),
    ]


def main():
    common.GENERATOR = "scripts/reference/gen_spectrum.py"
    nrng = np.random.default_rng(SEED)
    cases = quadratic_cases(nrng) + mlp_cases(nrng)
    source = ("numpy.linalg.eigvalsh (quadratics), torch.autograd.functional.hessian + torch.linalg.eigvalsh "
              "(MLPs), float64, one thread; %s" % library_versions("numpy", "scipy", "torch"))
    n, size = write_fixture(OUT, source, cases, min_cases=15, max_bytes=1_500_000)
    print("%s: %d cases, %d bytes" % (os.path.relpath(OUT, ROOT), n, size))
    for c in cases:
        e = c["eigenvalues"]
        print("  %-30s n = %3d  lambda in [%.6g, %.6g]  trace %.6g" % (c["name"], len(e), e[0], e[-1], c["trace"]))
    print("checks (relative to max(1, max |.|)): scipy vs numpy %.2g, torch vs numpy %.2g, "
          "hand-written vs nn.Sequential Hessian %.2g, Hessian asymmetry %.2g"
          % (STATS["scipy-vs-numpy"], STATS["torch-vs-numpy"], STATS["hessian-routes"], STATS["asymmetry"]))


if __name__ == "__main__":
    main()
