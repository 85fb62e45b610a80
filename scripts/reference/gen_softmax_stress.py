"""softmax-stress.json: rows chosen to break softmax, log-softmax and log-sum-exp.

Every expected value is correctly rounded (exact_row of gen_softmax.py: mpmath interval
arithmetic, escalated until the rounding is certain). The rows stress what a float64
implementation gets wrong by more than an ulp:
- dominance: one entry, the others 30 to 745 below it, so log-softmax of the dominant entry is
  -log1p(s) with a tiny s, and s is a sum of exponentials of large negative numbers;
- cancellation in log-sum-exp: a maximum near -log(n) or -log1p(s), so m + log1p(s) is small;
- subnormals: softmax entries and log-softmax values below 2.2e-308, and inputs that are;
- temperatures that are not powers of two, so (x_i - x_max) / T is inexact.
Needs only mpmath and numpy (not PyTorch): `python3 scripts/reference/gen_softmax_stress.py`
or through generate.py.
"""
import math
import os
import random
import sys

import numpy as np
from mpmath import mp

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import library_versions, write_fixture  # noqa: E402
from gen_softmax import PREC, exact_row  # noqa: E402

SEED = 20261206


def case(name, x, T=1.0):
    return {"name": name, "x": x, "temperature": float(T), "expected": exact_row(x, float(T))}


def generate():
    mp.prec = PREC
    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    cases = []
    add = lambda name, x, T=1.0: cases.append(case(name, x, T))  # noqa: E731

    # Dominance: one entry far above n others, at random gaps and offsets.
    for k in range(40):
        n = rng.choice([1, 2, 3, 7, 30])
        top = rng.choice([0.0, rng.uniform(-50, 50), rng.uniform(-1e5, 1e5)])
        gaps = [rng.uniform(20, 745) for _ in range(n)]
        T = rng.choice([1.0, 1.0, 0.3, 3.7, 0.01])
        add("dominance-%d" % k, [top] + [top - g * T for g in gaps], T)
    # Dominance with a tail of many tiny terms of similar size.
    for k in range(8):
        gap = rng.uniform(30, 700)
        add("dominance-many-%d" % k, [0.0] + [-gap - rng.uniform(0, 1) for _ in range(200)])
    # Log-sum-exp near 0: the maximum near -log1p(s).
    for k in range(30):
        n = rng.choice([2, 3, 4, 10])
        rest = [rng.uniform(-5, 0) for _ in range(n - 1)]
        # x_max = 0 first; then shift every entry by -lse rounded, leaving a tiny lse.
        base = [0.0] + rest
        s = sum(math.exp(v) for v in rest)
        shift = math.log1p(s)
        add("lse-near-zero-%d" % k, [v - shift for v in base])
    for n in (2, 3, 4, 8, 1000):
        add("lse-near-zero-ties-%d" % n, [-math.log(n)] * n)
    # The same with a temperature, and a term too small to matter.
    for k in range(8):
        T = float("%.5g" % 10 ** rng.uniform(-1, 1))
        n = rng.choice([2, 3, 5])
        rest = [rng.uniform(-4, 0) for _ in range(n - 1)]
        shift = math.log1p(sum(math.exp(v) for v in rest))
        add("lse-near-zero-temperature-%d" % k, [(v - shift) * T for v in [0.0] + rest] + [-400.0 * T], T)
    # Cancellation decided by a term far below the others: -fl(e^-700) next to -700, and alike.
    for gap in (200.0, 700.0, 740.0):
        add("lse-near-zero-tiny-term-%d" % gap, [-math.exp(-gap), -gap])
    # Log-probabilities normalised again: log-sum-exp of a log-softmax is about 0.
    for k in range(6):
        n = rng.choice([3, 10, 100])
        z = [float(v) for v in nrng.standard_normal(n) * rng.choice([1, 10])]
        top = max(z)
        lse = top + math.log(sum(math.exp(v - top) for v in z))
        add("renormalised-%d" % k, [v - lse for v in z])
    # Temperatures at the ends of the range: huge (x/T near 1e-300, and a cancelling row) and subnormal.
    add("temperature-huge-cancelling", [-6.931471805599453e300, -6.931471805599453e300], 1e301)
    add("temperature-huge", [-1.1578711191932536e299, -3.5468265483448164e300, 1e299], 1.4e300)
    add("temperature-subnormal", [8.546176476334e-312, -2.0151213411e-312, 9.45274548045e-312], 7e-312)
    add("temperature-tiny-cancelling", [-1.0986122886681099e-300] * 3, 1e-300)
    add("temperature-tiny", [-6.933164059458241e-306, -6.933164059458241e-306, -7e-306], 1e-305)
    # Subnormal outputs: softmax entries and log-softmax values below the normal range.
    for k in range(20):
        gap = rng.uniform(708, 745)
        n = rng.choice([1, 2, 5])
        add("subnormal-softmax-%d" % k, [0.0] + [-gap - rng.uniform(0, 2) for _ in range(n)])
    for k in range(10):
        tiny = [float(v) for v in nrng.uniform(-1, 1, rng.choice([2, 3, 6])) * 5e-310]
        add("subnormal-inputs-%d" % k, tiny)
    # Random rows at every scale, with awkward temperatures.
    for k in range(40):
        n = rng.choice([2, 5, 17, 64])
        scale = 10 ** rng.uniform(-3, 3)
        T = float("%.6g" % 10 ** rng.uniform(-2, 2))
        add("random-%d" % k, [float(v) for v in nrng.standard_normal(n) * scale], T)
    return cases, library_versions("mpmath", "numpy")


def ulps(a, b):
    """How many doubles apart a and b are (None and non-finite values: far)."""
    if a == b:
        return 0
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    def place(v):
        i = int.from_bytes(np.float64(v).tobytes(), "little", signed=True)
        return -(i & 0x7FFFFFFFFFFFFFFF) if i < 0 else i
    return abs(place(a) - place(b))


def compare(cases):
    """Cases where SciPy's and PyTorch's float64 softmax, log_softmax or logsumexp put an entry more than 1 ulp off."""
    import scipy.special
    results = {}
    libraries = {"scipy %s" % scipy.__version__: lambda z: (scipy.special.softmax(z), scipy.special.log_softmax(z), scipy.special.logsumexp(z))}
    try:
        import torch
        libraries["torch %s" % torch.__version__] = lambda z: tuple(v.numpy() if v.ndim else v.item() for v in (
            torch.softmax(torch.from_numpy(z), 0), torch.log_softmax(torch.from_numpy(z), 0), torch.logsumexp(torch.from_numpy(z), 0)))
    except ImportError:
        pass
    for name, fn in libraries.items():
        # The libraries get fl(x/T), as their users would pass it; with T = 1 that is exact.
        bad = bad_t1 = 0
        for c in cases:
            with np.errstate(all="ignore"):
                z = np.array(c["x"], dtype=np.float64) / c["temperature"]
                softmax, log_softmax, lse = fn(z)
            e = c["expected"]
            worst = max([ulps(float(a), b) for a, b in zip(softmax, e["softmax"]) if b is not None] +
                        [ulps(float(a), b) for a, b in zip(log_softmax, e["logSoftmax"]) if b is not None] +
                        ([ulps(float(lse), e["logSumExp"])] if e["logSumExp"] is not None else []))
            bad += worst > 1
            bad_t1 += worst > 1 and c["temperature"] == 1.0
        results[name] = (bad, bad_t1)
    return results


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "softmax-stress.json")
    cases, source = generate()
    n, size = write_fixture(out, source, cases, min_cases=150)
    print("softmax-stress.json: %d cases, %d bytes" % (n, size))
    if "--compare" in sys.argv:
        t1 = sum(1 for c in cases if c["temperature"] == 1.0)
        for name, (bad, bad_t1) in compare(cases).items():
            print("%s: %d of %d cases have an entry more than 1 ulp from the correctly rounded value "
                  "(%d of the %d with T = 1, where x/T is exact)" % (name, bad, n, bad_t1, t1))
