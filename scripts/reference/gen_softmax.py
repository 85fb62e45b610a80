"""softmax.json: softmax / logSoftmax / logSumExp / max / argmax in mpmath.

Ground truth is computed in mpmath on the exact binary values of x and T and
correctly rounded to float64 (round-to-nearest-even); see exact_row() for how
the rounding is certified. A value whose magnitude rounds beyond the float64
range is written as null.
"""
import math
import random
from fractions import Fraction
import warnings

import mpmath
import numpy as np
import scipy.special
from mpmath import iv, mp, mpf

from common import library_versions, to_double

SEED = 20240501
PREC = 300  # first working precision; raised only where rounding is not yet certain
ESCALATE = (300, 1200, 2500)  # 2500 bits hold any x_i - x_max of two doubles exactly
STATS = {"escalated": 0, "tail-below-precision": 0}


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _round_interval(v):
    """The float64 both ends of an iv interval round to, or raise if they differ."""
    lo, hi = v._mpi_
    a, b = to_double(lo), to_double(hi)
    if not _same(a, b):
        raise ArithmeticError("not yet certain")
    return a


HUGE_NEG = -65536  # exp(v) < 2**-94000 below this: enclose as [0, 2**-94000] (mpf_exp is slow there)


def iv_exp(v):
    """iv.exp, but a cheap rigorous enclosure for very negative arguments."""
    hi = mp.make_mpf(v._mpi_[1])
    if hi < HUGE_NEG:
        # exp(v) <= exp(hi) = 2**(hi*log2(e)) < 2**(1.44*hi)
        return iv.mpf([0, mpf(2) ** int(mpmath.floor(hi * mpf(1.44)))])
    return iv.exp(v)


def _row_intervals(x, T):
    """Rigorous enclosures (mpmath.iv, current iv.prec) of the quantities of one row.

    Mathematically the brief's recipe (z = x / T, m = max z,
    lse = m + log(sum(exp(z - m))), logSoftmax = z - lse,
    softmax = exp(logSoftmax)), evaluated without cancellation:
    z_i - m = (x_i - x_max) / T, sum = 1 + R with R the non-argmax terms,
    log(1 + R) = log1p(R), logSoftmax_i = (z_i - m) - log1p(R) (both terms
    <= 0), lse = m + log1p(R). (The literal z_i - lse at 300 bits returns 0
    for x = [1e308, 1e308], whose logSoftmax is -log 2.)
    """
    Ti = iv.mpf(T)
    xmax = max(x)
    argmax = x.index(xmax)
    m = iv.mpf(xmax) / Ti
    d = [(iv.mpf(xi) - iv.mpf(xmax)) / Ti for xi in x]
    R = iv.mpf(0)
    for j, dj in enumerate(d):
        if j != argmax:
            R = R + iv_exp(dj)
    L = iv.log1p(R)
    return m, d, L


def _fraction(t):
    """Exact Fraction of a finite raw mpf tuple."""
    sign, man, exp, _ = t
    q = Fraction(man) * (Fraction(2) ** exp)
    return -q if sign else q


def _tail_fallback(A, L, direction, has_tail):
    """Round A + direction*L where A is an exact point and 0 < L is negligible.

    Used only when the 2500-bit enclosure still straddles a rounding
    boundary. Then A must be exactly a float64 or exactly a midpoint between
    two (checked with Fractions) and L < |A| * 2**-60 (< a quarter ulp):
    a float64 A rounds to itself, a midpoint to the neighbour on the side of
    `direction`, A = 0 gives a signed zero (L < 2**-1080 required).
    L > 0 exactly when the row has a non-argmax entry, even if its
    enclosure starts at 0.
    """
    lo, hi = A._mpi_
    if lo != hi or not has_tail:
        raise ArithmeticError("no certified rounding")
    a = mp.make_mpf(lo)
    Lhi = mp.make_mpf(L._mpi_[1])
    STATS["tail-below-precision"] += 1
    if a == 0:  # the value is direction * L, 0 < L < 2**-1080: a signed zero
        if Lhi >= mpf(2) ** -1080:
            raise ArithmeticError("no certified rounding")
        return math.copysign(0.0, direction)
    if Lhi >= abs(a) * mpf(2) ** -60:
        raise ArithmeticError("no certified rounding")
    fa = _fraction(lo)
    f = to_double(lo)
    if f is None:
        raise ArithmeticError("no certified rounding")
    if Fraction(f) == fa:
        return f
    g = math.nextafter(f, math.inf if fa > Fraction(f) else -math.inf)
    if (Fraction(f) + Fraction(g)) / 2 != fa:
        raise ArithmeticError("no certified rounding")
    return max(f, g) if direction > 0 else min(f, g)


def exact_row(x, T):
    """Correctly rounded float64 softmax quantities of one row.

    Each quantity is enclosed with interval arithmetic (mpmath.iv) at 300
    bits; when the two ends of an enclosure round to different doubles
    (the true value is within ~2**-300 of a rounding midpoint, which is
    common for T = 1: x_i - x_max is a dyadic number and often exactly a
    midpoint, with only the exp-tail log1p(R) deciding the direction), the
    row is recomputed at 1200 and 2500 bits. If even that cannot separate
    the value from the midpoint, the tail is below 2**-1250 relative and
    its sign decides (logSoftmax = midpoint - tail, lse = midpoint + tail).
    """
    xmax = max(x)
    argmax = x.index(xmax)  # FIRST index of the maximum (PyTorch convention)
    for n, prec in enumerate(ESCALATE):
        last = n == len(ESCALATE) - 1
        with mpmath.workprec(prec):
            iv.prec = prec
            m, d, L = _row_intervals(x, T)
            try:
                out = {"max": _round_interval(m)}
                lse = m + L
                logsm = [di - L for di in d]
                try:
                    out["logSumExp"] = _round_interval(lse)
                except ArithmeticError:
                    if not last:
                        raise
                    out["logSumExp"] = _tail_fallback(m, L, +1, len(x) > 1)
                out["logSoftmax"] = []
                for di, li in zip(d, logsm):
                    try:
                        out["logSoftmax"].append(_round_interval(li))
                    except ArithmeticError:
                        if not last:
                            raise
                        out["logSoftmax"].append(_tail_fallback(di, L, -1, len(x) > 1))
                out["softmax"] = [_round_interval(iv_exp(li)) for li in logsm]
            except ArithmeticError:
                if last:
                    raise
                STATS["escalated"] += 1
                continue
            finally:
                iv.prec = PREC
        return {
            "softmax": out["softmax"],
            "logSoftmax": out["logSoftmax"],
            "logSumExp": out["logSumExp"],
            "max": out["max"],
            "argmax": argmax,
        }


def naive_row(x, T):
    """The brief's recipe verbatim at a much higher precision (cross-check only)."""
    z = [mpf(xi) / mpf(T) for xi in x]
    m = max(z)
    # terms below exp(-65536) (< 2**-94000) are dropped: far below the precision used here
    lse = m + mpmath.log(mpmath.fsum(mpmath.exp(zj - m) for zj in z if zj - m > HUGE_NEG))
    logsm = [zi - lse for zi in z]
    return {"softmax": [to_double(mpmath.exp(v)) if v > HUGE_NEG else 0.0 for v in logsm],
            "logSoftmax": [to_double(v) for v in logsm],
            "logSumExp": to_double(lse), "max": to_double(m)}


def cross_check(cases, prec=2500):
    """Re-derive every case with the brief's literal recipe at `prec` bits.

    Returns the entries that differ. Allowed differences: the sign of a zero
    (the literal recipe loses a tail below 2**-prec and returns +0.0 where
    the exact negative value underflows to -0.0) and 1 ulp where the exact
    value is a rounding midpoint plus/minus such a lost tail.
    """
    diffs = []
    with mpmath.workprec(prec):
        for c in cases:
            x, T = c["x"], c["temperature"]
            batch = isinstance(x[0], list)
            rows = x if batch else [x]
            for r, row in enumerate(rows):
                e = {k: (c["expected"][k][r] if batch else c["expected"][k])
                     for k in ("softmax", "logSoftmax", "logSumExp", "max")}
                n = naive_row(row, T)
                for k in e:
                    ev = e[k] if isinstance(e[k], list) else [e[k]]
                    nv = n[k] if isinstance(n[k], list) else [n[k]]
                    for i, (a, b) in enumerate(zip(ev, nv)):
                        if _same(a, b):
                            continue
                        ok = (a is not None and b is not None and
                              (a == b or math.nextafter(a, b) == b))
                        assert ok, (c["name"], k, i, a, b)
                        diffs.append((c["name"], r, k, i, a, b))
    return diffs


def fin(v):
    v = float(v)
    return v if math.isfinite(v) else None


def make_case(name, x, T):
    import torch  # here, not at the top: gen_softmax_stress.py uses exact_row without PyTorch
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

    # --- cross-check against the literal recipe at 2500 bits -----------------
    STATS["literal-recipe-diffs"] = cross_check(cases)

    # --- the pinned value from the brief -------------------------------------
    c = next(c for c in cases if c["name"] == "dominant-0-minus40")
    assert c["expected"]["logSumExp"] == 4.248354255291589e-18, c["expected"]["logSumExp"]

    import torch  # noqa: F401 (its version is recorded)
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


def _ulps(a, b):
    """Distance in float64 steps between two finite doubles (same sign assumed)."""
    if a == b:
        return 0
    n, t = 0, a
    while t != b and n < 64:
        t = math.nextafter(t, b)
        n += 1
    return n


def torch_comparison(cases):
    """How torch.softmax / torch.log_softmax (float64) compare with the exact values."""
    import torch
    out = {}
    for fn_name, key in (("softmax", "softmax"), ("log_softmax", "logSoftmax")):
        fn = getattr(torch, fn_name)
        stats = {"entries": 0, "exact": 0, "1ulp": 0, "worse": [], "nonfinite-vs-null": 0}
        for c in cases:
            x = c["x"]
            rows = x if isinstance(x[0], list) else [x]
            exp_rows = c["expected"][key] if isinstance(x[0], list) else [c["expected"][key]]
            with np.errstate(all="ignore"):
                got = fn(torch.tensor(rows, dtype=torch.float64) / c["temperature"], dim=-1).tolist()
            for r, (g_row, e_row) in enumerate(zip(got, exp_rows)):
                for i, (g, e) in enumerate(zip(g_row, e_row)):
                    stats["entries"] += 1
                    if e is None or not math.isfinite(g):
                        if e is None and not math.isfinite(g):
                            stats["nonfinite-vs-null"] += 1
                        else:
                            stats["worse"].append((c["name"], r, i, e, g))
                        continue
                    if g == e:
                        stats["exact"] += 1
                    elif _ulps(g, e) == 1:
                        stats["1ulp"] += 1
                    else:
                        stats["worse"].append((c["name"], r, i, e, g))
        out[fn_name] = stats
    return out
