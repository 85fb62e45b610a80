"""conv-matrix.json: the matrix of a single-channel 2D (transposed) convolution.

Computed from PyTorch itself in float64: the H*W one-hot images are pushed
through F.conv2d / F.conv_transpose2d in one batch; column k of A is the
flattened (row-major) output for one-hot k, so vec(y) = A @ vec(x).
"""
import random

import numpy as np
import torch
import torch.nn.functional as F

from common import library_versions

SEED = 20240502
DT = torch.float64
MAX_MATRIX_ENTRIES = 6000  # keeps the file small


def out_size(n, k, s, p, d, op, transposed):
    if transposed:
        return (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def run_op(xs, kernel, stride, padding, dilation, transposed, output_padding):
    w = torch.tensor(kernel, dtype=DT)[None, None]
    if transposed:
        return F.conv_transpose2d(xs, w, stride=tuple(stride), padding=tuple(padding),
                                  output_padding=tuple(output_padding), dilation=tuple(dilation))
    return F.conv2d(xs, w, stride=tuple(stride), padding=tuple(padding), dilation=tuple(dilation))


def make_case(name, H, W, kernel, stride, padding, dilation, transposed, output_padding, x):
    n = H * W
    onehots = torch.eye(n, dtype=DT).reshape(n, 1, H, W)
    out = run_op(onehots, kernel, stride, padding, dilation, transposed, output_padding)
    Ho, Wo = int(out.shape[2]), int(out.shape[3])
    A = out.reshape(n, Ho * Wo).T.contiguous()
    y = run_op(torch.tensor(x, dtype=DT)[None, None], kernel, stride, padding, dilation,
               transposed, output_padding)[0, 0]
    # sanity: shape formula, linearity
    kh, kw = len(kernel), len(kernel[0])
    assert Ho == out_size(H, kh, stride[0], padding[0], dilation[0], output_padding[0], transposed)
    assert Wo == out_size(W, kw, stride[1], padding[1], dilation[1], output_padding[1], transposed)
    assert tuple(y.shape) == (Ho, Wo)
    vx = torch.tensor(x, dtype=DT).reshape(-1)
    assert torch.allclose(A @ vx, y.reshape(-1), rtol=1e-12, atol=1e-12)
    # every entry of A is a single kernel tap (or 0)
    taps = {float(v) for row in kernel for v in row} | {0.0}
    assert all(float(v) in taps for v in A.reshape(-1).tolist())
    return {
        "name": name,
        "input": [H, W],
        "kernel": kernel,
        "stride": list(stride),
        "padding": list(padding),
        "dilation": list(dilation),
        "transposed": transposed,
        "outputPadding": list(output_padding),
        "x": x,
        "expected": {
            "outputShape": [Ho, Wo],
            "matrix": A.tolist(),
            "y": y.tolist(),
        },
    }


def rand_matrix(nrng, rows, cols, nonzero=False):
    m = np.round(nrng.standard_normal((rows, cols)), 3)
    if nonzero:
        m[m == 0] = 0.5
    return [[float(v) for v in r] for r in m]


def pair(rng, lo, hi, p_same=0.5, weights=None):
    def one():
        if weights:
            return rng.choices(range(lo, hi + 1), weights=weights)[0]
        return rng.randint(lo, hi)
    a = one()
    return [a, a] if rng.random() < p_same else [a, one()]


def random_config(rng, transposed):
    while True:
        H, W = pair(rng, 1, 8, p_same=0.3)
        kh, kw = pair(rng, 1, 4, p_same=0.4)
        stride = pair(rng, 1, 3, weights=[3, 2, 1])
        padding = pair(rng, 0, 2, weights=[3, 2, 1])
        dilation = pair(rng, 1, 3, weights=[4, 2, 1])
        op = [0, 0]
        if transposed and rng.random() < 0.6:
            # PyTorch: output padding < stride OR < dilation (per dimension); keep it in 0..2
            op = [rng.randint(0, min(max(s, d) - 1, 2)) for s, d in zip(stride, dilation)]
        Ho = out_size(H, kh, stride[0], padding[0], dilation[0], op[0], transposed)
        Wo = out_size(W, kw, stride[1], padding[1], dilation[1], op[1], transposed)
        if Ho < 1 or Wo < 1 or Ho * Wo * H * W > MAX_MATRIX_ENTRIES:
            continue
        # PyTorch must accept it
        try:
            run_op(torch.zeros(1, 1, H, W, dtype=DT), [[0.0] * kw] * kh, stride, padding,
                   dilation, transposed, op)
        except RuntimeError:
            continue
        return H, W, kh, kw, stride, padding, dilation, op


def fmt(a):
    return "%dx%d" % tuple(a)


def torch_error(H, W, kh, kw, stride, padding, dilation, transposed, op):
    try:
        run_op(torch.zeros(1, 1, H, W, dtype=DT), [[1.0] * kw] * kh, stride, padding,
               dilation, transposed, op)
    except RuntimeError as e:
        return str(e).strip().splitlines()[0]
    return None


def invalid_cases():
    specs = [
        # (reason, input, kernelSize, stride, padding, dilation, transposed, outputPadding)
        ("kernel-larger-than-input", [2, 2], [3, 3], [1, 1], [0, 0], [1, 1], False, [0, 0]),
        ("kernel-larger-than-input", [3, 5], [4, 2], [1, 1], [0, 0], [1, 1], False, [0, 0]),
        ("kernel-larger-than-input", [5, 2], [2, 3], [2, 2], [0, 0], [1, 1], False, [0, 0]),
        ("kernel-larger-than-input", [1, 1], [2, 2], [1, 1], [0, 0], [1, 1], False, [0, 0]),
        ("kernel-larger-than-padded-input", [2, 2], [5, 5], [1, 1], [1, 1], [1, 1], False, [0, 0]),
        ("kernel-larger-than-padded-input", [3, 3], [4, 1], [1, 1], [0, 2], [1, 1], False, [0, 0]),
        ("kernel-larger-than-padded-input", [1, 6], [4, 4], [3, 1], [1, 0], [1, 1], False, [0, 0]),
        ("dilated-kernel-larger-than-input", [4, 4], [2, 2], [1, 1], [0, 0], [4, 4], False, [0, 0]),
        ("dilated-kernel-larger-than-input", [6, 8], [3, 3], [2, 2], [0, 0], [3, 1], False, [0, 0]),
        ("dilated-kernel-larger-than-padded-input", [3, 3], [3, 3], [1, 1], [1, 1], [3, 3], False, [0, 0]),
        ("transposed-output-size-nonpositive", [1, 1], [1, 1], [1, 1], [1, 1], [1, 1], True, [0, 0]),
        ("transposed-output-size-nonpositive", [2, 2], [1, 1], [1, 1], [1, 1], [1, 1], True, [0, 0]),
        ("transposed-output-size-nonpositive", [2, 3], [2, 2], [1, 1], [2, 2], [1, 1], True, [0, 0]),
        ("transposed-output-size-nonpositive", [1, 4], [3, 3], [2, 2], [2, 1], [1, 1], True, [0, 0]),
        ("transposed-output-size-nonpositive", [3, 3], [1, 1], [1, 1], [2, 2], [1, 1], True, [0, 0]),
        ("output-padding-not-smaller-than-stride-or-dilation", [3, 3], [2, 2], [1, 1], [0, 0], [1, 1], True, [1, 1]),
        ("output-padding-not-smaller-than-stride-or-dilation", [3, 3], [3, 3], [2, 2], [1, 1], [1, 1], True, [2, 0]),
        ("output-padding-not-smaller-than-stride-or-dilation", [4, 2], [2, 3], [2, 2], [0, 0], [2, 1], True, [0, 2]),
        ("output-padding-not-smaller-than-stride-or-dilation", [2, 2], [2, 2], [1, 2], [0, 0], [1, 1], True, [1, 1]),
        ("output-padding-not-smaller-than-stride-or-dilation", [5, 5], [3, 3], [2, 2], [1, 1], [2, 2], True, [2, 2]),
        ("output-padding-not-smaller-than-stride-or-dilation", [2, 4], [1, 2], [2, 1], [0, 1], [2, 2], True, [2, 2]),
    ]
    out = []
    counters = {}
    for reason, inp, ks, s, p, d, tr, op in specs:
        counters[reason] = counters.get(reason, 0) + 1
        err = torch_error(inp[0], inp[1], ks[0], ks[1], s, p, d, tr, op)
        assert err is not None, (reason, inp, ks)
        out.append({
            "name": "invalid-%s-%02d" % (reason, counters[reason]),
            "input": inp, "kernelSize": ks, "stride": s, "padding": p, "dilation": d,
            "transposed": tr, "outputPadding": op, "torchError": err,
        })
    return out


def generate():
    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    cases = [
        make_case("assignment-4.3", 3, 3, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
                  [2, 2], [1, 1], [1, 1], False, [0, 0], rand_matrix(nrng, 3, 3)),
        make_case("assignment-4.4", 2, 2, [[1.0, 2.0], [3.0, 4.0]],
                  [2, 2], [0, 0], [1, 1], True, [0, 0], rand_matrix(nrng, 2, 2)),
    ]
    for transposed in (False, True):
        for k in range(70):
            H, W, kh, kw, stride, padding, dilation, op = random_config(rng, transposed)
            kind = "transposed" if transposed else "forward"
            name = "%s-%02d-in%s-k%s-s%s-p%s-d%s" % (kind, k, fmt([H, W]), fmt([kh, kw]), fmt(stride),
                                                     fmt(padding), fmt(dilation))
            if transposed:
                name += "-op" + fmt(op)
            kernel = rand_matrix(nrng, kh, kw, nonzero=True)
            x = rand_matrix(nrng, H, W)
            cases.append(make_case(name, H, W, kernel, stride, padding, dilation, transposed, op, x))
    assert cases[0]["expected"]["outputShape"] == [2, 2]
    assert cases[1]["expected"]["outputShape"] == [4, 4]
    return cases, invalid_cases(), library_versions("torch", "numpy")
