"""special-functions.json: erf, erfc, GELU and its derivatives, softplus, sigmoid (mpmath).

Every value is computed in mpmath at 200 bits on the exact binary value of t
and correctly rounded to float64 (common.to_double, which also rounds
subnormals correctly). The whole table is recomputed at 320 bits and must
round to the same doubles (sign of zero included).

    Phi(t) = erfc(-t / sqrt 2) / 2          phi(t) = exp(-t^2 / 2) / sqrt(2 pi)
    gelu   = t Phi(t)
    gelu'  = Phi(t) + t phi(t)
    gelu'' = phi(t) (2 - t^2)
    softplus = log(1 + e^t)                 sigmoid = 1 / (1 + e^-t)

A negative value that underflows is written as -0.0 (correct rounding).
"""
import math
import random
import struct
import warnings

import mpmath
import numpy as np
import scipy.special
import torch
import torch.nn.functional as F
from mpmath import mpf

from common import library_versions, to_double

SEED = 20240504
PREC = 200
CHECK_PREC = 320
FIELDS = ["erf", "erfc", "gelu", "geluPrime", "geluSecond", "softplus", "sigmoid"]


def exact_values(t):
    """{field: mpf} at the current working precision."""
    x = mpf(t)  # exact: t is a double
    Phi = mpmath.erfc(-x / mpmath.sqrt(2)) / 2
    phi = mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)
    return {
        "erf": mpmath.erf(x),
        "erfc": mpmath.erfc(x),
        "gelu": x * Phi,
        "geluPrime": Phi + x * phi,
        "geluSecond": phi * (2 - x * x),
        "softplus": mpmath.log1p(mpmath.exp(x)),
        "sigmoid": 1 / (1 + mpmath.exp(-x)),
    }


def rounded(t, prec):
    with mpmath.workprec(prec):
        return {k: to_double(v) for k, v in exact_values(t).items()}


def same(a, b):
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def points():
    rng = random.Random(SEED)
    named = [0.0, 1e-8, 0.5, 3.0, 5.0, 10.0, 27.0, 38.0,
             1e-300, 5e-324, 1e-16, 1e-4, 0.1, 0.25, 1.0, 2.0, 4.0,
             math.sqrt(2),          # gelu'' changes sign
             1 / math.sqrt(2),
             6.5, 7.0, 8.0, 9.0, 12.0, 15.0, 20.0, 25.0, 26.0, 26.5, 27.5, 30.0, 35.0, 37.0, 37.5,
             38.5, 39.0, 40.0]
    ts = set()
    for a in named:
        ts.add(a)
        ts.add(-a)
    # the minimum of gelu (gelu' = 0 near -0.7518), rounded to a double: gelu' is tiny there
    with mpmath.workprec(PREC):
        root = mpmath.findroot(lambda x: mpmath.erfc(-x / mpmath.sqrt(2)) / 2
                               + x * mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi), -0.75)
        ts.add(to_double(root))
    for k in range(-48, 49):  # dense grid in [-6, 6], step 1/8
        ts.add(k / 8)
    while len(ts) < 200:  # random doubles, mostly in [-6, 6]
        a = rng.uniform(-6, 6) if rng.random() < 0.8 else rng.uniform(-40, 40)
        ts.add(a)
    ts.discard(-0.0)  # -0.0 == 0.0: the set holds one zero; make sure it is +0
    ts.add(0.0)
    return sorted(ts)


def generate():
    cases = []
    for t in points():
        a = rounded(t, PREC)
        b = rounded(t, CHECK_PREC)
        for k in FIELDS:
            assert a[k] is not None and same(a[k], b[k]), (t, k, a[k], b[k])
        case = {"name": "t=%r" % t, "t": t}
        case.update(a)
        cases.append(case)
    # sanity: known values
    by = {c["t"]: c for c in cases}
    assert by[0.0]["gelu"] == 0.0 and by[0.0]["geluPrime"] == 0.5 and by[0.0]["sigmoid"] == 0.5
    assert by[0.0]["softplus"] == math.log(2)
    assert by[1.0]["erf"] == 0.8427007929497149
    assert same(by[-40.0]["gelu"], -0.0) and by[40.0]["gelu"] == 40.0
    assert by[27.0]["erfc"] > 0 and by[27.0]["erfc"] < 2.2250738585072014e-308  # subnormal
    for c in cases:  # identities that hold to a couple of ulp
        assert abs(c["erf"] + c["erfc"] - 1) <= 4e-16 or abs(c["t"]) > 6
        s = c["sigmoid"]
        assert abs(c["softplus"] - c["t"] - math.log1p(math.exp(-c["t"]))) <= 1e-15 * max(1, abs(c["t"])) \
            or c["t"] < 0
        assert 0 <= s <= 1
    return cases, library_versions("mpmath", "scipy", "torch")


def _ordered(x):
    i = struct.unpack("<q", struct.pack("<d", x))[0]
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)


def ulps(a, b):
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(_ordered(a) - _ordered(b))


def library_comparison(cases):
    """Max ulp distance of float64 library implementations from the exact values."""
    t = [c["t"] for c in cases]
    tt = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    y = F.gelu(tt)
    (g1,) = torch.autograd.grad(y.sum(), tt, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), tt)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = np.array(t)
        libs = {
            "scipy.special.erf": ("erf", scipy.special.erf(arr).tolist()),
            "scipy.special.erfc": ("erfc", scipy.special.erfc(arr).tolist()),
            "torch.erf": ("erf", torch.erf(tt.detach()).tolist()),
            "torch.erfc": ("erfc", torch.erfc(tt.detach()).tolist()),
            "torch F.gelu": ("gelu", y.detach().tolist()),
            "torch autograd gelu'": ("geluPrime", g1.detach().tolist()),
            "torch autograd gelu''": ("geluSecond", g2.tolist()),
            "torch F.softplus (threshold 20)": ("softplus", F.softplus(tt.detach()).tolist()),
            "torch.sigmoid": ("sigmoid", torch.sigmoid(tt.detach()).tolist()),
            "scipy.special.expit": ("sigmoid", scipy.special.expit(arr).tolist()),
        }
    out = {}
    for lib, (field, got) in libs.items():
        dist = [(ulps(g, c[field]), c["t"]) for g, c in zip(got, cases)]
        worst = max(dist)
        out[lib] = {"exact": sum(1 for d, _ in dist if d == 0), "1ulp": sum(1 for d, _ in dist if d == 1),
                    "worse": sum(1 for d, _ in dist if d > 1), "worst": worst,
                    "worst-value": (next(c[field] for c in cases if c["t"] == worst[1]),
                                    next(g for g, c in zip(got, cases) if c["t"] == worst[1]))}
    return out
