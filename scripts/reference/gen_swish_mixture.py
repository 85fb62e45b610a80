"""swish.json and logistic-mixture.json (mpmath): questions 1.1 and 2.

swish.json
  constants: t*, the root of 1 + e^t = t e^t (mpmath findroot at 400 bits), as the
             nearest double `value`, the remainder `lo` = t* - value, and `gap` = t* - 1.
  cases:     beta, interval [lo, hi] and the exact maxima over it of
             |x s(beta x) - ReLU(x)| and |x s(beta x) - x/2| (s = sigmoid), with where they are
             reached. Computed here from the defining formulas (no closed form of the TS code):
             the critical point of u s(-beta u) is found by findroot on its derivative in u,
             the candidates (interval ends, critical point) are compared, and a 400-point grid
             in mpmath confirms no sampled value beats the maximum.
  points:    beta, x and the exact x s(beta x) and d/dx (x s(beta x)), including extremes
             (beta x overflowing float64, the zero of the derivative at beta x = -t*).

logistic-mixture.json
  cases:     pi, weights, x (one input or N rows) and p(y = 1 | x) = sum_k pi_k s(w_k . x):
             every dot product exact (fractions.Fraction), sigmoid and the sum in mpmath at 300
             bits, rounded once to float64. Random cases at several logit scales, products
             overflowing float64 (1e200 * 1e200) and dot products with heavy cancellation.

Every float is the correctly rounded double (common.to_double). Beyond |beta x| or |z| > 1e6
the exact limit is written (e^-1e6 < 2^-1400000 cannot change a rounded double).

Run alone from the repository root:  /usr/bin/python3 scripts/reference/gen_swish_mixture.py
"""
import math
import os
import random
import sys
from fractions import Fraction

sys.dont_write_bytecode = True  # no __pycache__ inside scripts/reference/
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mpmath  # noqa: E402
from mpmath import mp, mpf  # noqa: E402

from common import library_versions, to_double, write_fixture  # noqa: E402

SEED_SWISH = 20260701
SEED_MIXTURE = 20260702
PREC = 400
CUTOFF = 10 ** 6  # |t| beyond which sigmoid(t) is written as its limit


def mpf_exact(v):
    """The exact value of a double as an mpf (exact at any precision >= 53 bits)."""
    return mpf(v)


def sigmoid(t):
    return 1 / (1 + mpmath.exp(-t))


# --- swish -------------------------------------------------------------------------------

def t_star():
    with mpmath.workprec(PREC):
        t = mpmath.findroot(lambda t: 1 + mpmath.exp(t) - t * mpmath.exp(t), mpf("1.28"))
        value = to_double(t)
        return t, {"name": "tStar", "value": value, "lo": to_double(t - mpf(value)), "gap": to_double(t - 1)}


def relu_gap(beta, u):
    """|x s(beta x) - ReLU(x)| at |x| = u from the definition at x = +u (the function is even)."""
    t = beta * u
    if t > CUTOFF:
        return mpf(0)
    if t <= 300:
        with mpmath.workprec(1200):  # x s(t) - x cancels to x e^-t: 1200 bits cover t <= 300
            return u - u * sigmoid(t)
    return u * sigmoid(-t)  # = u - u s(t), exactly; the subtraction would need 2t bits


def half_gap(beta, u):
    """|x s(beta x) - x/2| at |x| = u from the definition."""
    t = beta * u
    if t > CUTOFF:
        return u / 2
    if t == 0:
        return mpf(0)
    # s(t) - 1/2 ~ t/4 cancels: carry as many extra bits as t is small (t down to 2^-2148).
    with mpmath.workprec(PREC + max(0, -int(mpmath.mag(t)))):
        return u * sigmoid(t) - u / 2


def best_in(beta, lo, hi, gap, critical):
    """Maximum of gap(|x|) on [lo, hi] among the ends and the critical |x|; leftmost x on ties."""
    candidates = [lo, hi]
    if lo <= 0 <= hi:
        candidates.append(mpf(0))
    if critical is not None:
        for x in (-critical, critical):
            if lo <= x <= hi:
                candidates.append(x)
    scored = sorted(((gap(beta, abs(x)), x) for x in candidates), key=lambda p: (-p[0], p[1]))
    return scored[0]


def distances_case(name, beta, lo, hi):
    with mpmath.workprec(PREC):
        b, a, z = mpf_exact(beta), mpf_exact(lo), mpf_exact(hi)
        # Critical point of m(u) = u s(-beta u): m'(u) = s(-beta u) (1 - beta u s(beta u)) = 0.
        # Solved for s = u / u0 (u0 = 1.28 / beta) so the secant steps are of order 1 at any scale.
        u0 = mpf("1.28") / b
        critical = u0 * mpmath.findroot(lambda s: 1 - b * (s * u0) * sigmoid(b * (s * u0)), mpf(1))
        relu_value, relu_at = best_in(b, a, z, relu_gap, critical)
        half_value, half_at = best_in(b, a, z, half_gap, None)
        # Grid check: no sampled point beats the maxima (so the candidate list was complete).
        for k in range(401):
            x = a + (z - a) * k / 400
            assert relu_gap(b, abs(x)) <= relu_value * (1 + mpf(2) ** -300), (name, x)
            assert half_gap(b, abs(x)) <= half_value * (1 + mpf(2) ** -300), (name, x)
        return {
            "name": name, "beta": beta, "interval": [lo, hi],
            "expected": {
                "distanceToRelu": to_double(relu_value), "argmaxRelu": to_double(relu_at) + 0.0,
                "distanceToHalfIdentity": to_double(half_value), "argmaxHalfIdentity": to_double(half_at) + 0.0,
                "interiorPeak": relu_at not in (a, z, 0),
            },
        }


def swish_exact(beta, x):
    """x s(beta x) and its derivative s(t) + t s(t) s(-t), t = beta x, correctly rounded."""
    with mpmath.workprec(PREC):
        b, v = mpf_exact(beta), mpf_exact(x)
        t = b * v
        if t > CUTOFF:
            return x, 1.0
        if t < -CUTOFF:
            # x e^t and e^t (1 + t): negative, below 2^-1075 in magnitude
            return -0.0, -0.0
        s, s_neg = sigmoid(t), sigmoid(-t)
        return to_double(v * s), to_double(s + t * s * s_neg)


def point_case(name, beta, x):
    value, derivative = swish_exact(beta, x)
    return {"name": name, "beta": beta, "x": x, "expected": {"swish": value, "derivative": derivative}}


def generate_swish():
    rng = random.Random(SEED_SWISH)
    mp.prec = PREC
    exact_t, star = t_star()
    constants = [star]
    tv = star["value"]
    cases = []

    def dist(name, beta, lo, hi):
        cases.append(distances_case(name, float(beta), float(lo), float(hi)))

    # Hand-picked: the question's regimes and every branch of the closed form.
    dist("beta1-symmetric-10", 1, -10, 10)
    dist("beta1-peak-inside-positive", 1, 0, 5)
    dist("beta1-peak-inside-negative", 1, -5, 0)
    dist("beta1-left-of-peak", 1, 0.1, 0.5)
    dist("beta1-right-of-peak", 1, 3, 8)
    dist("beta1-negative-right-of-peak", 1, -8, -3)
    dist("beta1-negative-left-of-peak", 1, -0.5, -0.1)
    dist("beta1-point-0", 1, 0, 0)
    dist("beta1-point-peak", 1, tv, tv)
    dist("beta1-point-minus-peak", 1, -tv, -tv)
    dist("beta1-around-peak-ulp", 1, math.nextafter(tv, 0), math.nextafter(tv, 2))
    dist("beta1-asymmetric-straddle", 1, -0.3, 7)
    dist("beta1-asymmetric-straddle-negative", 1, -7, 0.3)
    dist("beta10-0.5-2", 10, 0.5, 2)
    dist("beta100-large", 100, -1000, 1000)
    dist("beta0.01-narrow", 0.01, -1, 1)
    dist("beta-1e-3-wide", 1e-3, -1e4, 1e4)
    dist("beta1e300-tiny-interval", 1e300, -1e-299, 1e-299)
    dist("beta1e300-huge-interval", 1e300, -1e308, 1e308)
    dist("beta1e300-positive-far", 1e300, 1, 1e308)
    dist("beta1e-300-huge-interval", 1e-300, -1e308, 1e308)
    dist("beta1e-300-unit", 1e-300, -0.5, 0.75)
    dist("beta-subnormal-huge-interval", 5e-324, -1e308, 1e308)
    dist("beta-subnormal-1e10", 5e-324, 2, 1e10)
    dist("beta-max-unit", 1.7976931348623157e308, -1, 1)
    dist("beta-max-subnormal-interval", 1.7976931348623157e308, -1e-308, 5e-324)
    dist("beta1-far-right", 1, 700, 800)
    dist("beta1-far-left", 1, -800, -700)
    dist("beta1-huge-positive", 1, 1e300, 1e308)
    dist("beta1e-300-sigmoid-underflow", 1e-300, 7.5e302, 8e302)
    dist("beta1e-300-sigmoid-underflow-negative", 1e-300, -1e303, -7.6e302)
    dist("beta1-sigmoid-subnormal", 1, 745, 746)

    # Random: beta log-uniform in [1e-3, 1e3]; the interval placed relative to t*/beta.
    kinds = ["contains", "left", "right", "negative", "straddle", "point", "wide"]
    for k in range(98):
        beta = float("%.6g" % (10 ** rng.uniform(-3, 3)))
        peak = tv / beta
        kind = kinds[k % len(kinds)]
        if kind == "contains":
            lo, hi = -peak * rng.uniform(0, 3), peak * rng.uniform(1.01, 5)
        elif kind == "left":
            lo, hi = peak * rng.uniform(0, 0.5), peak * rng.uniform(0.5, 0.99)
        elif kind == "right":
            lo, hi = peak * rng.uniform(1.01, 3), peak * rng.uniform(3, 50)
        elif kind == "negative":
            lo, hi = -peak * rng.uniform(0.5, 20), -peak * rng.uniform(0, 0.5)
        elif kind == "straddle":
            lo, hi = -peak * rng.uniform(0, 0.9), peak * rng.uniform(0, 0.9)
        elif kind == "point":
            lo = hi = peak * rng.uniform(-5, 5)
        else:
            lo, hi = -peak * 10 ** rng.uniform(0, 4), peak * 10 ** rng.uniform(0, 4)
        lo, hi = float("%.8g" % lo), float("%.8g" % hi)
        if lo > hi:
            lo, hi = hi, lo
        dist("random-%s-%d" % (kind, k), beta, lo, hi)

    points = []

    def point(name, beta, x):
        points.append(point_case(name, float(beta), float(x)))

    for beta in (1.0, 0.5, 10.0, 1e-300, 1e300):
        tag = "%g" % beta
        for x in (0.0, 1e-310, -1e-310, 1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0,
                  3.0, -3.0, 30.0, -30.0, 36.0, -36.0, 40.0, -40.0, 1e10, -1e10, 1e308, -1e308):
            point("beta%s-x%r" % (tag, x), beta, x)
        for label, t in (("700", 700.0), ("745", 745.0), ("750", 750.0), ("20", 20.0)):
            point("beta%s-t-plus%s" % (tag, label), beta, t / beta)
            point("beta%s-t-minus%s" % (tag, label), beta, -t / beta)
        # the zero of the derivative, t = -t*, and its neighbours
        root = -tv / beta
        point("beta%s-derivative-root" % tag, beta, root)
        point("beta%s-derivative-root-next-up" % tag, beta, math.nextafter(root, 0))
        point("beta%s-derivative-root-next-down" % tag, beta, math.nextafter(root, -2 * abs(root) - 1))
        point("beta%s-peak" % tag, beta, tv / beta)
    for k in range(60):
        beta = float("%.6g" % (10 ** rng.uniform(-3, 3)))
        x = float("%.10g" % (rng.choice([-1, 1]) * 10 ** rng.uniform(-3, 3.5) / beta))
        point("random-%d" % k, beta, x)

    # t* itself, by a second method: the fixed point t = 1 + e^-t.
    with mpmath.workprec(PREC):
        fixed = mpf(1)
        for _ in range(2000):
            fixed = 1 + mpmath.exp(-fixed)
        assert abs(fixed - exact_t) < mpf(2) ** -380, fixed
    with mpmath.workprec(PREC):
        ln2 = mpmath.log(2)
        constants.append({"name": "ln2", "value": to_double(ln2), "lo": to_double(ln2 - mpf(to_double(ln2)))})
    return cases, points, constants, library_versions("mpmath")


# --- logistic mixture --------------------------------------------------------------------

def exact_dot(w, x):
    return sum((Fraction(a) * Fraction(b) for a, b in zip(w, x)), Fraction(0))


def mixture_exact(pi, weights, x):
    with mpmath.workprec(300):
        total = mpf(0)
        for p, w in zip(pi, weights):
            z = exact_dot(w, x)
            if z > CUTOFF:
                s = mpf(1)
            elif z < -CUTOFF:
                s = mpf(0)  # < e^-1e6: below any double next to the other terms
            else:
                s = sigmoid(mpf(z.numerator) / z.denominator)
            total += mpf_exact(p) * s
        return to_double(total)


def random_pi(rng, k, zeros=False):
    raw = [rng.random() for _ in range(k)]
    if zeros and k > 1:
        for i in rng.sample(range(k), rng.randint(1, k - 1)):
            raw[i] = 0.0
    s = sum(raw)
    pi = [r / s for r in raw]
    assert abs(math.fsum(pi) - 1) <= 1e-15
    return pi


def generate_mixture():
    rng = random.Random(SEED_MIXTURE)
    cases = []

    def add(name, pi, weights, x):
        rows = x if isinstance(x[0], list) else [x]
        expected = [mixture_exact(pi, weights, r) for r in rows]
        cases.append({"name": name, "pi": pi, "weights": weights, "x": x,
                      "expected": {"probability": expected if rows is x else expected[0]}})

    add("equal-halves-origin", [0.5, 0.5], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    add("quarter-three-quarters", [0.25, 0.75], [[2.0, -1.0], [0.5, 0.5]], [1.0, 3.0])
    add("single-component", [1.0], [[1.0, 2.0, 3.0]], [0.5, -0.25, 0.125])
    add("single-underflow-800", [1.0], [[1.0]], [-800.0])
    add("single-subnormal-740", [1.0], [[1.0]], [-740.0])
    add("single-minus-40", [1.0], [[1.0]], [-40.0])
    add("single-plus-40", [1.0], [[1.0]], [40.0])
    add("overflowing-products-cancel", [0.5, 0.5], [[1e200, -1e200], [1e200, 1e200]], [1e200, 1e200])
    add("overflowing-product-positive", [0.3, 0.7], [[1e200], [-1e200]], [1e200])
    add("huge-entries-moderate-logit", [1.0], [[1e300, -1e300]], [1e-300, 1.5e-300])
    add("tiny-entries", [0.5, 0.5], [[1e-300, 2e-300], [-1e-200, 1e-100]], [1e-10, 1e-300])
    add("cancellation-exact-zero", [0.4, 0.6], [[1e16, 1.0, -1e16], [3.0, -3.0, 0.0]], [1.0, 1.0, 1.0])
    add("zero-weight-component", [0.0, 1.0], [[100.0], [-2.0]], [1.0])
    add("batch-question", [0.2, 0.5, 0.3], [[1.0, -1.0], [0.5, 2.0], [-3.0, 0.25]],
        [[0.0, 0.0], [1.0, 2.0], [-1.0, 4.0], [700.0, 0.0], [-700.0, 1.0]])

    scales = [("unit", 1.0), ("10", 10.0), ("100", 100.0), ("700", 700.0), ("1e5", 1e5)]
    for k in range(60):
        label, scale = scales[k % len(scales)]
        K, d = rng.randint(1, 6), rng.randint(1, 8)
        pi = random_pi(rng, K, zeros=(k % 7 == 3))
        weights = [[rng.gauss(0, 1) * scale / math.sqrt(d) for _ in range(d)] for _ in range(K)]
        if k % 4 == 0:
            x = [[rng.gauss(0, 1) for _ in range(d)] for _ in range(rng.randint(2, 4))]
        else:
            x = [rng.gauss(0, 1) for _ in range(d)]
        add("random-%s-K%d-d%d-%d" % (label, K, d, k), pi, weights, x)
    # Logits pushed to the bottom of the range: every sigma tiny, p relative accuracy matters.
    for k in range(12):
        K, d = rng.randint(1, 4), rng.randint(1, 5)
        pi = random_pi(rng, K)
        target = -rng.uniform(30, 744)
        x = [rng.uniform(0.5, 2) for _ in range(d)]
        weights = []
        for _ in range(K):
            w = [rng.gauss(0, 1) for _ in range(d)]
            z = sum(a * b for a, b in zip(w, x))
            shift = (target + rng.uniform(-5, 5) - z) / (d * x[0])
            weights.append([w[0] + shift * d] + w[1:])
        add("low-logits-%d" % k, pi, weights, x)
    # Heavy cancellation: w = [a, -a, c, ...] with x = [1 + m 2^-40, 1, ...]:
    # w.x = a m 2^-40 + c exactly, the terms a ~ 1e12 cancel to a logit of order 1-10.
    for k in range(24):
        K, d = rng.randint(1, 4), rng.randint(3, 6)
        pi = random_pi(rng, K)
        m = rng.randint(1, 1000)
        x = [1 + m * 2.0 ** -40, 1.0] + [rng.uniform(-1, 1) for _ in range(d - 2)]
        weights = []
        for _ in range(K):
            a = rng.choice([-1, 1]) * 10 ** rng.uniform(9, 13)
            weights.append([a, -a] + [rng.gauss(0, 2) for _ in range(d - 2)])
        add("cancellation-%d" % k, pi, weights, x)
    # Extreme magnitudes of both vectors.
    for k in range(10):
        K, d = rng.randint(1, 3), rng.randint(1, 4)
        pi = random_pi(rng, K)
        ew, ex = rng.choice([(150, 150), (300, -300), (-300, 300), (200, -150), (10, -320)])
        weights = [[rng.gauss(0, 1) * 10.0 ** ew for _ in range(d)] for _ in range(K)]
        x = [rng.gauss(0, 1) * 10.0 ** ex for _ in range(d)]
        add("extreme-%d-%d-%d" % (ew, ex, k), pi, weights, x)
    return cases, library_versions("mpmath")


def main():
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    out = os.path.join(root, "test", "fixtures")
    cases, points, constants, source = generate_swish()
    n, size = write_fixture(os.path.join(out, "swish.json"), source, cases,
                            extra={"points": points, "constants": constants}, min_cases=100)
    print("swish.json %d interval cases + %d points, %d bytes; t* = %r + %r" % (
        n, len(points), size, constants[0]["value"], constants[0]["lo"]))
    cases, source = generate_mixture()
    n, size = write_fixture(os.path.join(out, "logistic-mixture.json"), source, cases, min_cases=100)
    print("logistic-mixture.json %d cases, %d bytes" % (n, size))


if __name__ == "__main__":
    main()
