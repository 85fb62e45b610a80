"""PrairieLearn's number comparisons, as its documentation and its Python package state them,
evaluated with NumPy float64 (the arithmetic PrairieLearn grades with).

- relabs: numpy.allclose(a, e, rtol, atol), i.e. |a - e| <= atol + rtol*|e|
- sigfig: n = -floor(log10|e|) + digits - 1 (digits - 1 when e == 0); eps = 0.51 * 10**-n;
          correct iff e - eps < a < e + eps
- decdig: eps = 0.51 * 10**-digits; correct iff e - eps < a < e + eps

Written from the documented rules (not copied). Cases sit on and around every boundary.

Run alone:  /usr/bin/python3 scripts/reference/gen_comparison.py
"""
import math
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import library_versions, write_fixture  # noqa: E402


def relabs(a, e, rtol, atol):
    return bool(np.allclose(np.float64(a), np.float64(e), rtol=rtol, atol=atol))


def digit_eps(e, mode, digits):
    if mode == "decdig":
        n = digits
    elif e == 0:
        n = digits - 1
    else:
        n = -int(np.floor(np.log10(np.abs(np.float64(e))))) + (digits - 1)
    return 0.51 * (10 ** -n)


def within(a, e, eps):
    a, e = np.float64(a), np.float64(e)
    return bool((a > e - eps) & (a < e + eps))


def generate():
    rng = random.Random(20261129)
    cases = []
    expected_values = [0.0, 1.234, -1.234, 1.0, 10.0, 0.001, 123456.0, -0.5, 2.5e-7, 9.999, 3.14159, -284682.0]
    for _ in range(20):
        expected_values.append(rng.choice([-1, 1]) * 10 ** rng.uniform(-8, 8))
    for e in expected_values:
        for digits in (1, 2, 3, 4, 6):
            for mode in ("sigfig", "decdig"):
                eps = digit_eps(e, mode, digits)
                for answer in (e, e + eps, e - eps, e + 0.99 * eps, e - 0.99 * eps, e + 1.01 * eps, e - 1.01 * eps,
                               float(np.nextafter(e + eps, -math.inf)), float(np.nextafter(e - eps, math.inf))):
                    cases.append({"mode": mode, "digits": digits, "answer": float(answer), "expected": float(e),
                                  "epsilon": float(eps), "correct": within(answer, e, eps)})
        for rtol, atol in ((1e-2, 1e-8), (1e-5, 1e-8), (0.0, 1e-3), (1e-3, 0.0)):
            bound = atol + rtol * abs(e)
            for answer in (e, e + bound, e - bound, e + 2 * bound, e - 0.5 * bound, e + 1.5 * bound, -e if e != 0 else 1.0):
                cases.append({"mode": "relabs", "rtol": rtol, "atol": atol, "answer": float(answer), "expected": float(e),
                              "correct": relabs(answer, e, rtol, atol)})
    unique = {}
    for case in cases:
        unique.setdefault(tuple(sorted((k, v) for k, v in case.items() if k != "correct")), case)
    cases = [dict(name="%s-%d" % (case["mode"], i), **case) for i, case in enumerate(unique.values())]
    # PrairieLearn's documented example: 1.234 at 3 significant figures accepts (1.2289, 1.2391).
    assert abs(digit_eps(1.234, "sigfig", 3) - 0.0051) < 1e-15
    assert within(1.2290, 1.234, 0.0051) and within(1.2390, 1.234, 0.0051)
    assert not within(1.2288, 1.234, 0.0051) and not within(1.2392, 1.234, 0.0051)
    return cases, "PrairieLearn's documented comparison rules in NumPy float64; " + library_versions("numpy")


if __name__ == "__main__":
    cases, source = generate()
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    n, size = write_fixture(os.path.join(root, "test", "fixtures", "comparison.json"), source, cases)
    correct = sum(1 for c in cases if c["correct"])
    print("comparison.json %d cases (%d correct) %d bytes" % (n, correct, size))
