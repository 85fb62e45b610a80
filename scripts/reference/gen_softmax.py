"""softmax.json: softmax / logSoftmax / logSumExp / max / argmax in mpmath.

Ground truth is computed with mpmath at 300 bits on the exact binary values
of x and T, then correctly rounded to float64 (round-to-nearest-even).
A value whose magnitude rounds beyond the float64 range is written as null.
"""
import math
import random
import warnings

import mpmath
import numpy as np
import scipy.special
import torch
from mpmath import mp, mpf

from common import library_versions

SEED = 20240501
PREC = 300


def to_double(v):
    """Correctly rounded float64 of an mpf (None if it overflows float64).

    mpmath's own float() first rounds to 53 bits and then lets ldexp round
    again for subnormals (double rounding), and cannot represent huge
    exponents cheaply, so this converts through exact integer arithmetic:
    Python's int -> float and int / int are correctly rounded (subnormals
    included) and raise OverflowError past the float64 range.
    """
    if not mpmath.isfinite(v):
        return None
    if v == 0:
        return 0.0
    sign, man, exp, bc = v._mpf_
    top = exp + bc  # 2**(top-1) <= |v| < 2**top
    if top > 1025:
        return None
    if top < -1080:  # far below half the smallest subnormal (2**-1075)
        return -0.0 if sign else 0.0
    try:
        f = float(man << exp) if exp >= 0 else man / (1 << -exp)
    except OverflowError:
        return None
    return -f if sign else f


def exact_row(x, T):
    """Exact (300-bit) softmax quantities of one row, correctly rounded to float64.

    Mathematically this is the brief's recipe (z = x / T, m = max z,
    lse = m + log(sum(exp(z - m))), logSoftmax = z - lse, softmax =
    exp(logSoftmax)), but evaluated so that 300 bits never cancel away:
    z_i - m is formed as (x_i - x_max) / T, the sum is split as 1 + R
    (R = the non-argmax terms) and log(1 + R) uses log1p, and
    logSoftmax_i = (z_i - m) - log1p(R) has no cancellation (both terms are
    <= 0). The naive z_i - lse loses everything when |m| ~ 1e308 (300 bits
    cannot hold 1e308 + log 2) or when R < 2**-300.
    """
    T = mpf(T)
    xmax = max(x)
    argmax = x.index(xmax)  # FIRST index of the maximum (PyTorch convention)
    m = mpf(xmax) / T
    d = [(mpf(xi) - mpf(xmax)) / T for xi in x]  # z_i - m, <= 0, exactly 0 at ties
    R = mpmath.fsum(mpmath.exp(dj) for j, dj in enumerate(d) if j != argmax)
    log_s = mpmath.log1p(R)
    lse = m + log_s
    logsm = [di - log_s for di in d]
    sm = [mpmath.exp(v) for v in logsm]
    return {
        "softmax": [to_double(v) for v in sm],
        "logSoftmax": [to_double(v) for v in logsm],
        "logSumExp": to_double(lse),
        "max": to_double(m),
        "argmax": argmax,
    }


def naive_row(x, T):
    """The brief's recipe verbatim at a much higher precision (cross-check only)."""
    z = [mpf(xi) / mpf(T) for xi in x]
    m = max(z)
    lse = m + mpmath.log(mpmath.fsum(mpmath.exp(zj - m) for zj in z))
    logsm = [zi - lse for zi in z]
    return {"softmax": [to_double(mpmath.exp(v)) for v in logsm],
            "logSoftmax": [to_double(v) for v in logsm],
            "logSumExp": to_double(lse), "max": to_double(m)}


def cross_check(cases, prec=8000):
    """Re-derive every case with the naive recipe at `prec` bits; must agree exactly
    up to the sign of zero (== treats -0.0 and 0.0 alike; the naive recipe
    rounds a tail below 2**-prec away and so returns +0.0 where the exact
    negative value underflows to -0.0)."""
    with mpmath.workprec(prec):
        for c in cases:
            x, T = c["x"], c["temperature"]
            rows = x if isinstance(x[0], list) else [x]
            exp_rows = ([{k: c["expected"][k][r] for k in ("softmax", "logSoftmax", "logSumExp", "max")}
                         for r in range(len(rows))] if isinstance(x[0], list) else [c["expected"]])
            for row, e in zip(rows, exp_rows):
                n = naive_row(row, T)
                for k in ("softmax", "logSoftmax", "logSumExp", "max"):
                    assert n[k] == e[k], (c["name"], k, n[k], e[k])


def fin(v):
    v = float(v)
    return v if math.isfinite(v) else None


def make_case(name, x, T):
    assert T > 0
    if x and isinstance(x[0], list):
        rows = [exact_row(r, T) for r in x]
        expected = {k: [r[k] for r in rows] for k in ("softmax", "logSoftmax", "logSumExp", "max", "argmax")}
        case = {"name": name, "x": x, "temperature": T, "expected": expected}
    else:
        case = {"name": name, "x": x, "temperature": T, "expected": exact_row(x, T)}
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case["scipyLogSumExp"] = fin(scipy.special.logsumexp(np.array(x, dtype=np.float64) / T))
            t = torch.tensor(x, dtype=torch.float64) / T
            case["torchLogSumExp"] = fin(torch.logsumexp(t, dim=0).item())
    return case


SCALES = [
    ("1e-300", 1e-300), ("1e-10", 1e-10), ("1", 1.0), ("10", 10.0), ("1e3", 1e3),
    ("1e10", 1e10), ("1e100", 1e100), ("1e300", 1e300), ("1e308", 1e308),
]
LIMIT = 1.7e308


def rand_vec(nrng, n, scale):
    with np.errstate(over="ignore"):  # N(0,1) * 1e308 may overflow; clipped below
        v = nrng.standard_normal(n) * scale
    v = np.clip(v, -LIMIT, LIMIT)
    return [float(a) for a in v]


def rand_temperature(rng):
    # log-uniform in [1e-3, 1e3], rounded to 4 significant digits
    return float("%.4g" % (10 ** rng.uniform(-3, 3)))


def max_abs(x):
    if x and isinstance(x[0], list):
        return max(max(abs(a) for a in r) for r in x)
    return max(abs(a) for a in x)


def generate():
    mp.prec = PREC
    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    cases = []

    def add(name, x, T=1.0):
        cases.append(make_case(name, x, float(T)))

    # --- hand-picked edge cases -------------------------------------------
    add("dominant-0-minus40", [0.0, -40.0])
    add("dominant-0-minus1000", [0.0, -1000.0])
    add("dominant-5-minus800-minus30", [5.0, -800.0, -30.0])
    add("dominant-1e308-1.7e308", [1e308, 1.7e308])
    add("dominant-0-minus36", [0.0, -36.0])
    add("dominant-0-minus37", [0.0, -37.0])
    add("dominant-0-minus745", [0.0, -745.0])
    add("dominant-0-minus746", [0.0, -746.0])
    add("dominant-last-entry", [-50.0, -60.0, 10.0])
    add("dominant-many-small", [0.0] + [-30.0] * 20)
    add("dominant-minus1e308-1e308", [-1e308, 1e308])
    add("dominant-minus1.7e308-1.7e308", [-1.7e308, 1.7e308])
    add("all-tiny-minus1000", [-1000.0, -1001.0, -1002.0])
    add("all-tiny-minus1e5", [-100000.0, -100000.5, -100003.0])
    add("all-huge-1000-1001", [1000.0, 1001.0])
    add("all-huge-1e308-1e308", [1e308, 1e308])
    add("all-huge-1.7e308-triple", [1.7e308, 1.7e308, 1.7e308])
    add("all-huge-710-720-730", [710.0, 720.0, 730.0])
    add("ties-3-3-3", [3.0, 3.0, 3.0])
    add("ties-negative", [-5.0, -5.0])
    add("ties-first-max-wins", [1.0, 7.0, 2.0, 7.0, 7.0])
    add("ties-zeros-8", [0.0] * 8)
    add("single-entry-0", [0.0])
    add("single-entry-42.5", [42.5])
    add("single-entry-minus1e308", [-1e308])
    add("single-entry-1.7e308", [1.7e308])
    add("single-entry-subnormal", [5e-324])
    add("subnormal-vs-zero", [5e-324, 0.0])
    add("near-equal-1-ulp", [1.0, 1.0000000000000002])
    add("tiny-differences", [1e-17, 0.0, -1e-17])
    add("mixed-signs-small", [0.1, -0.2, 0.3, -0.4])
    add("ramp-0-to-9", [float(i) for i in range(10)])
    add("temperature-0.5", [1.0, 2.0, 3.0], 0.5)
    add("temperature-3", [1.0, 2.0, 3.0], 3.0)
    add("temperature-1e-5", [0.001, 0.002, 0.0015], 1e-5)
    add("temperature-1e-5-ties", [0.25, 0.25, 0.2], 1e-5)
    add("temperature-1e3", [1.0, 2.0, 3.0], 1000.0)
    add("temperature-1e-3-large-gap", [1.0, 0.0, -1.0], 1e-3)
    add("temperature-0.1-dominant", [0.0, -40.0], 0.1)
    add("temperature-100-1e308", [1e308, 1.7e308, -1e308], 100.0)
    # deliberate float64 overflow of x / T: nulls where the exact value exceeds float64
    add("overflow-temperature-0.5-1e308", [1e308, -1e308], 0.5)
    add("overflow-temperature-0.25-mixed", [1e308, 1.0, -3.0], 0.25)

    # --- random vectors across scales ---------------------------------------
    for label, scale in SCALES:
        for k in range(9):
            n = rng.choice([1, 2, 3, 5]) if k == 0 else rng.randint(1, 60)
            x = rand_vec(nrng, n, scale)
            if k < 6:
                T = 1.0
            elif k == 6:
                T = rng.choice([0.5, 3.0])
            else:
                T = rand_temperature(rng)
            # keep x / T inside float64 for the random cases
            if max_abs(x) / T > 1.7e308:
                T = 1.0
            add("random-scale-%s-n%d-%d" % (label, n, k), x, T)

    # --- 2D batches ---------------------------------------------------------
    for k in range(22):
        rows = rng.randint(2, 5)
        n = rng.randint(1, 12)
        if k % 3 == 0:  # each row its own scale
            x = [rand_vec(nrng, n, rng.choice(SCALES)[1]) for _ in range(rows)]
        else:
            scale = rng.choice(SCALES)[1]
            x = [rand_vec(nrng, n, scale) for _ in range(rows)]
        T = 1.0 if k % 2 == 0 else rng.choice([0.5, 3.0, rand_temperature(rng)])
        if max_abs(x) / T > 1.7e308:
            T = 1.0
        add("batch-%dx%d-%d" % (rows, n, k), x, T)
    add("batch-edge-rows", [[0.0, -40.0], [0.0, -1000.0], [1000.0, 1001.0], [3.0, 3.0]])
    add("batch-single-column", [[1.0], [-1e308], [5e-324]])
    add("batch-ties-and-huge", [[7.0, 7.0, 1.0], [1e308, 1.7e308, 1.7e308]], 1.0)
    add("batch-temperature-0.5", [[1.0, 2.0], [-3.0, 4.0], [0.0, 0.0]], 0.5)

    # --- cross-check against the literal recipe at 8000 bits -----------------
    cross_check(cases)

    # --- the pinned value from the brief -------------------------------------
    c = next(c for c in cases if c["name"] == "dominant-0-minus40")
    assert c["expected"]["logSumExp"] == 4.248354255291589e-18, c["expected"]["logSumExp"]

    return cases, library_versions("mpmath", "scipy", "numpy", "torch")


def summarize_disagreements(cases):
    """Which 1D cases SciPy / PyTorch logsumexp get wrong (relative error > 1e-15, or null mismatch)."""
    bad = {"scipy": [], "torch": []}
    for c in cases:
        if "scipyLogSumExp" not in c:
            continue
        ref = c["expected"]["logSumExp"]
        for lib, key in (("scipy", "scipyLogSumExp"), ("torch", "torchLogSumExp")):
            got = c[key]
            if (ref is None) != (got is None):
                bad[lib].append((c["name"], ref, got))
            elif ref is not None and got != ref:
                err = abs(got - ref) / abs(ref) if ref != 0 else abs(got)
                if ref == 0 or err > 1e-15:
                    bad[lib].append((c["name"], ref, got))
    return bad
