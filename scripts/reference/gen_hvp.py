"""hvp.json: value, gradient and Hessian-vector product of scalar functions.

Expected values come from PyTorch autograd in float64 (double backward:
g = grad(f, w, create_graph=True); hv = grad(g @ v, w)). Every case is also
checked independently:

- quadratic:  closed form  g = (A + A^T) w / 2 + b,  hv = (A + A^T) v / 2;
- expression: the string is parsed back by a Python parser of the service's
              grammar and must give the same tree; the tree is re-evaluated
              with 200-bit mpmath hyper-dual numbers (exact value, gradient
              and H v), and draws where torch's float64 result is off by more
              than EXPR_TOL (relative to max(1, |exact|)) are rejected;
- mlp:        the hand-written forward pass on slices of w matches
              nn.Sequential (same parameter layout, loss and gradient), and hv
              matches a central difference of the gradient along v.

Zeros in the expected outputs are always written as +0.0: the sign of an
autograd zero depends only on the order of operations.
"""
import math
import random
import re

import mpmath
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mpmath import mp, mpf

from common import library_versions

SEED = 20240503
DT = torch.float64
EXPR_TOL = 1e-12  # max |torch - exact| / max(1, |exact|) accepted for expression cases
STATS = {"expr-max-err": 0.0, "expr-rejected-points": 0, "expr-rejected-accuracy": 0,
         "expr-rejected-trees": 0, "mlp-max-fd-err": 0.0, "mlp-relu-redraws": 0,
         "quad-max-err": 0.0}


def pos0(x):
    """float, with -0.0 turned into +0.0."""
    return float(x) + 0.0


def autograd_hvp(f, w_list, v_list):
    """(value, gradient, H v) of f at w by float64 double backward."""
    w = torch.tensor(w_list, dtype=DT, requires_grad=True)
    v = torch.tensor(v_list, dtype=DT)
    y = f(w)
    (g,) = torch.autograd.grad(y, w, create_graph=True)
    hv = None
    if g.requires_grad:
        (hv,) = torch.autograd.grad(g @ v, w, allow_unused=True)
    if hv is None:  # g does not depend on w: the Hessian is 0
        hv = torch.zeros_like(w)
    out = (pos0(y.item()), [pos0(a) for a in g.detach().tolist()], [pos0(a) for a in hv.tolist()])
    for a in [out[0]] + out[1] + out[2]:
        if not math.isfinite(a):
            raise ArithmeticError("non-finite autograd result")
    # second route: torch.autograd.functional.hvp (same autograd, other code path)
    _, hv2 = torch.autograd.functional.hvp(f, torch.tensor(w_list, dtype=DT), v)
    assert torch.allclose(hv2, torch.tensor(out[2], dtype=DT), rtol=1e-12, atol=1e-12)
    return out


def normal_list(nrng, n, scale=1.0):
    return [float(a) for a in nrng.standard_normal(n) * scale]


def rounded_matrix(nrng, rows, cols, decimals=3):
    return [[float(a) for a in r] for r in np.round(nrng.standard_normal((rows, cols)), decimals)]


# =============================================================== quadratic

def quad_case(name, A, b, w, v):
    n = len(A)
    At = torch.tensor(A, dtype=DT)
    bt = torch.tensor(b, dtype=DT) if b is not None else None

    def f(x):
        y = 0.5 * (x @ (At @ x))
        return y + bt @ x if bt is not None else y

    value, grad, hv = autograd_hvp(f, w, v)
    # closed form
    S = 0.5 * (At + At.T)
    wt, vt = torch.tensor(w, dtype=DT), torch.tensor(v, dtype=DT)
    g_ref = S @ wt + (bt if bt is not None else 0)
    for got, ref in ((grad, g_ref), (hv, S @ vt)):
        err = (torch.tensor(got, dtype=DT) - ref).abs().max().item() if n else 0.0
        STATS["quad-max-err"] = max(STATS["quad-max-err"], err)
        assert err < 1e-12, (name, err)
    model = {"kind": "quadratic", "A": A}
    if b is not None:
        model["b"] = b
    return {"name": name, "model": model, "w": w, "v": v,
            "expected": {"value": value, "gradient": grad, "hv": hv}}


def quadratic_cases(rng, nrng):
    cases = []

    def add(name, A, b):
        n = len(A)
        cases.append(quad_case(name, A, b, normal_list(nrng, n), normal_list(nrng, n)))

    add("quadratic-n1-scalar", [[2.5]], [-1.0])
    add("quadratic-n1-no-b", [[-0.75]], None)
    add("quadratic-n2-identity", [[1.0, 0.0], [0.0, 1.0]], [0.5, -0.5])
    add("quadratic-n3-zero-matrix", [[0.0] * 3 for _ in range(3)], [1.0, 2.0, 3.0])
    add("quadratic-n2-upper-triangular", [[1.0, 4.0], [0.0, 3.0]], None)
    # skew-symmetric A: w^T A w = 0 exactly in real arithmetic, Hessian 0
    add("quadratic-n3-skew-symmetric", [[0.0, 2.0, -1.0], [-2.0, 0.0, 0.5], [1.0, -0.5, 0.0]], [0.25, 0.0, -1.5])
    S = rounded_matrix(nrng, 4, 4)
    add("quadratic-n4-symmetric", [[S[i][j] + S[j][i] for j in range(4)] for i in range(4)], None)
    add("quadratic-n5-diagonal", [[float(i + 1) if i == j else 0.0 for j in range(5)] for i in range(5)],
        [float(a) for a in np.round(nrng.standard_normal(5), 3)])
    k = 0
    while len(cases) < 30:
        n = rng.randint(1, 8)
        with_b = k % 3 != 2  # b omitted in a third of the random cases
        A = rounded_matrix(nrng, n, n)
        b = [float(a) for a in np.round(nrng.standard_normal(n), 3)] if with_b else None
        add("quadratic-random-%02d-n%d%s" % (k, n, "" if with_b else "-no-b"), A, b)
        k += 1
    return cases


# ============================================================== expressions
#
# Tree nodes (tuples):
#   ("const", "2.5") ("var", "x") ("neg", a) ("add"|"sub"|"mul"|"div"|"pow", a, b) ("call", fname, a)

FUNCS = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "relu", "abs"]
PREC_OF = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4, "const": 5, "var": 5, "call": 5}
OPS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}

TOKEN_RE = re.compile(r"\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([A-Za-z][A-Za-z0-9]*)|(.))")


def tokenize(s):
    toks, pos = [], 0
    s = s.rstrip()
    while pos < len(s):
        m = TOKEN_RE.match(s, pos)
        num, ident, op = m.groups()
        if num is not None:
            toks.append(("num", num))
        elif ident is not None:
            toks.append(("id", ident))
        elif op in "+-*/^()":
            toks.append(("op", op))
        else:
            raise SyntaxError("bad character %r" % op)
        pos = m.end()
    return toks


class Parser:
    """The service's grammar, as a recursive-descent parser.

    expr  := term (('+' | '-') term)*          left-associative
    term  := unary (('*' | '/') unary)*        left-associative
    unary := '-' unary | power
    power := primary ('^' unary)?              right-associative; -x^2 = -(x^2), x^-2 = x^(-2)
    primary := number | name '(' expr ')' | name | '(' expr ')'
    """

    def __init__(self, s):
        self.toks = tokenize(s)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, kind=None, val=None):
        t = self.peek()
        if t[0] is None or (kind and t[0] != kind) or (val and t[1] != val):
            raise SyntaxError("unexpected %r" % (t,))
        self.i += 1
        return t

    def parse(self):
        e = self.expr()
        if self.i != len(self.toks):
            raise SyntaxError("trailing tokens")
        return e

    def expr(self):
        a = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            a = ("add" if op == "+" else "sub", a, self.term())
        return a

    def term(self):
        a = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            a = ("mul" if op == "*" else "div", a, self.unary())
        return a

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.power()

    def power(self):
        a = self.primary()
        if self.peek() == ("op", "^"):
            self.take()
            return ("pow", a, self.unary())
        return a

    def primary(self):
        kind, val = self.peek()
        if kind == "num":
            self.take()
            return ("const", val)
        if kind == "id":
            self.take()
            if self.peek() == ("op", "("):
                if val not in FUNCS:
                    raise SyntaxError("unknown function " + val)
                self.take()
                a = self.expr()
                self.take("op", ")")
                return ("call", val, a)
            if val in FUNCS:
                raise SyntaxError("function name used as a variable")
            return ("var", val)
        if (kind, val) == ("op", "("):
            self.take()
            a = self.expr()
            self.take("op", ")")
            return a
        raise SyntaxError("unexpected %r" % val)


def parse(s):
    return Parser(s).parse()


def render(node, full=False, spaced_mul=False):
    """String of a tree. full=True parenthesizes every non-atomic operand."""
    k = node[0]
    if k == "const":
        return node[1]
    if k == "var":
        return node[1]
    if k == "call":
        return "%s(%s)" % (node[1], render(node[2], full, spaced_mul))

    def wrap(child, need):
        s = render(child, full, spaced_mul)
        if need or (full and PREC_OF[child[0]] < 5):
            return "(" + s + ")"
        return s

    if k == "neg":
        # a '-' operand that is itself '-' or binary gets parentheses (valid without for neg, but gentler)
        return "-" + wrap(node[1], PREC_OF[node[1][0]] <= 3)
    a, b = node[1], node[2]
    pa, pb = PREC_OF[a[0]], PREC_OF[b[0]]
    if k in ("add", "sub"):
        return "%s %s %s" % (wrap(a, False), OPS[k], wrap(b, pb <= 1))
    if k in ("mul", "div"):
        sep = " %s " % OPS[k] if spaced_mul else OPS[k]
        return wrap(a, pa < 2) + sep + wrap(b, pb <= 2)
    if k == "pow":
        # base: atoms only; exponent: a unary (so x^-2 and x^y^z need no parentheses)
        return wrap(a, pa < 5) + "^" + wrap(b, pb < 3)
    raise ValueError(k)


def has_var(node):
    k = node[0]
    if k == "var":
        return True
    if k == "const":
        return False
    if k == "call":
        return has_var(node[2])
    return any(has_var(c) for c in node[1:])


def variables_of(node, acc=None):
    acc = set() if acc is None else acc
    k = node[0]
    if k == "var":
        acc.add(node[1])
    elif k == "call":
        variables_of(node[2], acc)
    elif k != "const":
        for c in node[1:]:
            variables_of(c, acc)
    return acc


def height(node):
    k = node[0]
    if k in ("const", "var"):
        return 0
    if k == "call":
        return 1 + height(node[2])
    return 1 + max(height(c) for c in node[1:])


# ---------------------------------------------------------------- torch side

def t_softplus(t):
    """Exact log(1 + e^t) (no threshold), safe under double backward."""
    pos = t > 0
    zero = torch.zeros_like(t)
    tp = torch.where(pos, t, zero)  # each branch only ever sees arguments it can take
    tn = torch.where(pos, zero, t)
    return torch.where(pos, tp + torch.log1p(torch.exp(-tp)), torch.log1p(torch.exp(tn)))


TORCH_FUNCS = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp, "log": torch.log,
    "sqrt": torch.sqrt, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": t_softplus,
    "relu": torch.relu, "abs": torch.abs,
}


def t_eval(node, env):
    k = node[0]
    if k == "const":
        return torch.tensor(float(node[1]), dtype=DT)
    if k == "var":
        return env[node[1]]
    if k == "neg":
        return -t_eval(node[1], env)
    if k == "call":
        return TORCH_FUNCS[node[1]](t_eval(node[2], env))
    a, b = t_eval(node[1], env), t_eval(node[2], env)
    if k == "add":
        return a + b
    if k == "sub":
        return a - b
    if k == "mul":
        return a * b
    if k == "div":
        return a / b
    if k == "pow":
        return torch.pow(a, b)
    raise ValueError(k)


# ------------------------------------------------- mpmath hyper-dual side
# A hyper-dual number (f, a, b, c) = f + a e1 + b e2 + c e1 e2 (e1^2 = e2^2 = 0).
# With w -> w + e1 u + e2 v:  a = grad.u,  b = grad.v,  c = u^T H v.

class Invalid(Exception):
    """The formula is not (safely) twice differentiable at this point."""


MAX_NODE = mpf(10) ** 6


def hd_unary(x, g, g1, g2):
    f, a, b, c = x
    return (g, g1 * a, g1 * b, g2 * a * b + g1 * c)


def hd_mul(x, y):
    return (x[0] * y[0], x[1] * y[0] + x[0] * y[1], x[2] * y[0] + x[0] * y[2],
            x[3] * y[0] + x[1] * y[2] + x[2] * y[1] + x[0] * y[3])


def mp_func(name, f):
    if name == "sin":
        return mpmath.sin(f), mpmath.cos(f), -mpmath.sin(f)
    if name == "cos":
        return mpmath.cos(f), -mpmath.sin(f), -mpmath.cos(f)
    if name == "tan":
        if abs(mpmath.cos(f)) <= 0.1:
            raise Invalid("tan near a pole")
        t = mpmath.tan(f)
        s = 1 + t * t
        return t, s, 2 * t * s
    if name == "exp":
        e = mpmath.exp(f)
        return e, e, e
    if name == "log":
        if f <= 0.05:
            raise Invalid("log of a small or non-positive value")
        return mpmath.log(f), 1 / f, -1 / (f * f)
    if name == "sqrt":
        if f <= 0.05:
            raise Invalid("sqrt of a small or non-positive value")
        r = mpmath.sqrt(f)
        return r, 1 / (2 * r), -1 / (4 * r * f)
    if name == "tanh":
        t = mpmath.tanh(f)
        return t, 1 - t * t, -2 * t * (1 - t * t)
    if name in ("sigmoid", "softplus"):
        s = 1 / (1 + mpmath.exp(-f))
        if name == "sigmoid":
            return s, s * (1 - s), s * (1 - s) * (1 - 2 * s)
        return mpmath.log1p(mpmath.exp(f)), s, s * (1 - s)
    if name in ("relu", "abs"):
        if abs(f) <= 1e-3:
            raise Invalid(name + " near its kink")
        if name == "relu":
            return (f, mpf(1), mpf(0)) if f > 0 else (mpf(0), mpf(0), mpf(0))
        return (abs(f), mpf(1) if f > 0 else mpf(-1), mpf(0))
    raise ValueError(name)


def hd_eval(node, env):
    r = _hd_eval(node, env)
    if abs(r[0]) >= MAX_NODE:
        raise Invalid("intermediate value too large")
    return r


def _hd_eval(node, env):
    k = node[0]
    zero = mpf(0)
    if k == "const":
        return (mpf(float(node[1])), zero, zero, zero)  # the float64 the service and torch use (0.1 is not 1/10)
    if k == "var":
        return env[node[1]]
    if k == "neg":
        return tuple(-p for p in hd_eval(node[1], env))
    if k == "call":
        x = hd_eval(node[2], env)
        return hd_unary(x, *mp_func(node[1], x[0]))
    x, y = hd_eval(node[1], env), hd_eval(node[2], env)
    if k == "add":
        return tuple(p + q for p, q in zip(x, y))
    if k == "sub":
        return tuple(p - q for p, q in zip(x, y))
    if k == "mul":
        return hd_mul(x, y)
    if k == "div":
        d = y[0]
        if abs(d) <= 0.1:
            raise Invalid("division by a value near 0")
        return hd_mul(x, hd_unary(y, 1 / d, -1 / (d * d), 2 / (d * d * d)))
    if k == "pow":
        base = x[0]
        if not has_var(node[2]):
            c = y[0]
            integer = c == mpmath.floor(c)
            if not integer and base <= 0.1:
                raise Invalid("non-integer power of a small or negative base")
            if c < 0 and abs(base) <= 0.1:
                raise Invalid("negative power of a value near 0")
            if integer:
                n = int(c)
                p = lambda m: mpmath.power(base, m) if m >= 0 or base != 0 else mpf(0)
                return hd_unary(x, p(n), n * p(n - 1) if n else zero, n * (n - 1) * p(n - 2) if n * (n - 1) else zero)
            return hd_unary(x, mpmath.power(base, c), c * mpmath.power(base, c - 1),
                            c * (c - 1) * mpmath.power(base, c - 2))
        if base <= 0.1:
            raise Invalid("variable power of a small or negative base")
        lg = hd_unary(x, mpmath.log(base), 1 / base, -1 / (base * base))
        t = hd_mul(y, lg)
        e = mpmath.exp(t[0])
        return hd_unary(t, e, e, e)
    raise ValueError(k)


def exact_expression(tree, names, w, v):
    """(value, gradient, H v) at 200 bits; raises Invalid where the point is unsafe."""
    with mpmath.workprec(200):
        grad, hv, value = [], [], None
        for i in range(len(names)):
            env = {nm: (mpf(wj), mpf(1 if j == i else 0), mpf(vj), mpf(0))
                   for j, (nm, wj, vj) in enumerate(zip(names, w, v))}
            f, a, b, c = hd_eval(tree, env)
            value = f
            grad.append(a)
            hv.append(c)
        if not names:
            value = hd_eval(tree, {})[0]
        for q in grad + hv:
            if abs(q) >= mpf(10) ** 8:
                raise Invalid("derivative too large")
        return value, grad, hv


def expression_case(name, expression, names, w, v, tree=None):
    """Build a case; tree (if given) must be what the string parses to."""
    parsed = parse(expression)
    if tree is not None:
        assert parsed == tree, (name, expression, parsed, tree)
    tree = parsed
    assert variables_of(tree) <= set(names), (name, variables_of(tree), names)
    exact = exact_expression(tree, names, w, v)  # may raise Invalid

    def f(x):
        return t_eval(tree, {nm: x[i] for i, nm in enumerate(names)})

    value, grad, hv = autograd_hvp(f, w, v)
    err = 0.0
    for got, ref in zip([value] + grad + hv, [exact[0]] + exact[1] + exact[2]):
        with mpmath.workprec(200):
            e = abs(mpf(got) - ref) / max(mpf(1), abs(ref))
        err = max(err, float(e))
    if err > EXPR_TOL:
        raise ArithmeticError("torch float64 off by %g" % err)
    STATS["expr-max-err"] = max(STATS["expr-max-err"], err)
    return {"name": name, "model": {"kind": "expression", "expression": expression, "variables": names},
            "w": w, "v": v, "expected": {"value": value, "gradient": grad, "hv": hv}}


# Hand-written formulas: (name, expression, variables, w or None for a random valid point).
HAND = [
    ("expr-x2y-plus-sin-xy", "x^2*y + sin(x*y)", ["x", "y"], [1.5, -0.7]),
    ("expr-x2y-plus-sin-xy-random", "x^2*y + sin(x*y)", ["x", "y"], None),
    ("expr-neg-x-squared", "-x^2", ["x"], [3.0]),  # -(x^2) = -9, not 9
    ("expr-neg-x-squared-random", "-x^2", ["x"], None),
    ("expr-2-pow-x-pow-2", "2^x^2", ["x"], [1.5]),  # 2^(x^2)
    ("expr-2-pow-x-pow-2-random", "2^x^2", ["x"], None),
    ("expr-x-pow-minus-2", "x^-2", ["x"], [0.5]),  # x^(-2) = 4
    ("expr-x-pow-minus-2-negative-x", "x^-2", ["x"], [-1.25]),
    ("expr-exp-minus-x-log-1-plus-y2", "exp(-x)*log(1+y^2)", ["x", "y"], [0.3, 2.0]),
    ("expr-exp-minus-x-log-1-plus-y2-random", "exp(-x)*log(1+y^2)", ["x", "y"], None),
    ("expr-sqrt-1-plus-x2-plus-y2", "sqrt(1 + x^2 + y^2)", ["x", "y"], [1.0, -2.0]),
    ("expr-sqrt-1-plus-x2-plus-y2-random", "sqrt(1 + x^2 + y^2)", ["x", "y"], None),
    ("expr-tanh-sigmoid-softplus", "tanh(x)*sigmoid(y) - softplus(x*y)", ["x", "y"], [0.8, -1.3]),
    ("expr-tanh-sigmoid-softplus-random", "tanh(x)*sigmoid(y) - softplus(x*y)", ["x", "y"], None),
    ("expr-relu-abs-active", "relu(x - 1) * abs(y)", ["x", "y"], [2.5, -0.75]),
    ("expr-relu-abs-inactive", "relu(x - 1) * abs(y)", ["x", "y"], [0.5, 1.25]),
    ("expr-x-over-y", "x/y", ["x", "y"], [1.0, 4.0]),
    ("expr-x-over-y-random", "x/y", ["x", "y"], None),
    ("expr-x-plus-y-cubed", "(x+y)^3", ["x", "y"], [0.5, -2.0]),
    ("expr-x-plus-y-cubed-random", "(x+y)^3", ["x", "y"], None),
    ("expr-x-pow-y", "x^y", ["x", "y"], [2.0, 1.5]),
    ("expr-x-pow-y-small-base", "x^y", ["x", "y"], [0.35, -0.8]),
    ("expr-cos2-plus-sin2", "cos(x)^2 + sin(x)^2", ["x"], [0.7]),
    ("expr-cos2-plus-sin2-random", "cos(x)^2 + sin(x)^2", ["x"], None),
    ("expr-2-pow-3-pow-2-times-x", "2^3^2*x", ["x"], [0.5]),  # 2^9 = 512, not 64
    ("expr-neg-2-squared-plus-x", "-2^2 + x", ["x"], [1.0]),  # -(2^2) + x = -3
    ("expr-left-assoc-sub", "x - y - z", ["x", "y", "z"], [1.0, 2.0, 3.0]),
    ("expr-left-assoc-div", "x/y/z", ["x", "y", "z"], [12.0, 2.0, 3.0]),
    ("expr-times-unary-minus", "x*-y", ["x", "y"], [1.5, 2.0]),  # x*(-y)
    ("expr-pow-unary-minus-exponent", "2^-x^2", ["x"], [1.25]),  # 2^(-(x^2))
    ("expr-right-assoc-pow", "x^y^z", ["x", "y", "z"], [1.5, 0.5, 2.0]),  # x^(y^z)
    ("expr-neg-x-in-parens-squared", "(-x)^2", ["x"], [-1.5]),
    ("expr-names-theta-w1", "theta^2 + w1*theta - w1^3", ["theta", "w1"], [0.4, -1.1]),
    ("expr-number-formats", "1e-3*x^2 + 2.5*x - 0.25", ["x"], [3.0]),
    ("expr-no-spaces", "sin(x)*cos(y)+x^2/(1+y^2)", ["x", "y"], [0.3, -0.4]),
    ("expr-extra-spaces-and-parens", "  ( ( x ) * ( y + 1 ) )  ", ["x", "y"], [2.0, 3.0]),
    ("expr-softplus-large-positive", "softplus(x)", ["x"], [30.0]),
    ("expr-softplus-large-negative", "softplus(x)", ["x"], [-30.0]),
    ("expr-softplus-at-0", "softplus(x)", ["x"], [0.0]),
    ("expr-sigmoid-negative", "sigmoid(x)", ["x"], [-12.0]),
    ("expr-log-exp", "log(exp(x) + exp(y))", ["x", "y"], [1.0, -0.5]),
    ("expr-linear", "3*x - 2*y + 1", ["x", "y"], [0.5, 0.25]),
    ("expr-single-variable", "x", ["x"], [1.5]),
    ("expr-unused-variable", "x^2", ["x", "y"], [1.5, 2.0]),  # y does not occur: gradient and hv 0 there
    ("expr-tan", "tan(x)", ["x"], [1.2]),
    ("expr-abs-times-x", "abs(x)*x", ["x"], [-0.6]),
    ("expr-fractional-powers", "x^0.5 + y^1.5", ["x", "y"], [2.0, 0.7]),
    ("expr-sqrt-exp", "sqrt(exp(x))", ["x"], [0.9]),
    ("expr-four-variables", "w1*w2 - w3/w4 + exp(w1*w4)", ["w1", "w2", "w3", "w4"], [0.2, -0.3, 1.1, 1.7]),
]


def expression_hand_cases(rng, nrng):
    cases = []
    for name, expr, names, w in HAND:
        if w is not None:
            cases.append(expression_case(name, expr, names, [float(a) for a in w], normal_list(nrng, len(names))))
            continue
        for _ in range(1000):
            wr = normal_list(nrng, len(names))
            vr = normal_list(nrng, len(names))
            try:
                cases.append(expression_case(name, expr, names, wr, vr))
                break
            except Invalid:
                continue
        else:
            raise AssertionError("no valid point for " + name)
    return cases


VARIABLE_SETS = [["x", "y", "z", "t"], ["w1", "w2", "w3", "w4"], ["theta", "phi", "psi", "rho"],
                 ["a", "b", "c", "d"], ["x1", "x2", "x3", "x4"]]
CONSTS = ["1", "2", "3", "0.5", "2.5", "1.5", "0.25", "10", "1e-3", "4", "0.1", "7"]
EXPONENTS = [("const", "2"), ("const", "3"), ("neg", ("const", "1")), ("neg", ("const", "2")),
             ("const", "0.5"), ("const", "1.5"), ("const", "4"), ("const", "2"), ("const", "2")]


class TreeGen:
    def __init__(self, rng, names):
        self.rng, self.names = rng, names

    def leaf(self):
        if self.rng.random() < 0.75:
            return ("var", self.rng.choice(self.names))
        return ("const", self.rng.choice(CONSTS))

    def positive(self, d):
        """An operand meant to be > 0 (checked at the point anyway)."""
        r = self.rng.random()
        if r < 0.4:
            return ("add", ("const", "1"), ("pow", self.gen(d), ("const", "2")))
        if r < 0.7:
            return ("call", "exp", self.gen(d))
        return self.gen(d)

    def gen(self, d):
        rng = self.rng
        if d <= 0:
            return self.leaf()
        op = rng.choices(["add", "sub", "mul", "div", "pow", "neg", "call"],
                         weights=[3, 2, 3, 1.5, 1.5, 0.7, 3])[0]
        sub = lambda: self.gen(rng.randint(0, d - 1))
        full = lambda: self.gen(d - 1)
        if op in ("add", "sub", "mul"):
            a, b = (full(), sub()) if rng.random() < 0.5 else (sub(), full())
            return (op, a, b)
        if op == "div":
            den = full() if rng.random() < 0.5 else self.positive(max(d - 2, 0))
            return ("div", sub(), den)
        if op == "neg":
            return ("neg", full())
        if op == "pow":
            r = rng.random()
            if r < 0.45:
                return ("pow", full(), rng.choice(EXPONENTS))
            if r < 0.75:
                return ("pow", self.positive(max(d - 2, 0)), sub())
            return ("pow", ("const", rng.choice(["2", "0.5", "3", "1.5"])), full())
        f = rng.choice(FUNCS)
        if f in ("log", "sqrt"):
            return ("call", f, self.positive(max(d - 2, 0)))
        return ("call", f, full())


def expression_random_cases(rng, nrng, count=64):
    cases = []
    k = 0
    while len(cases) < count:
        target = 1 + k % 5
        nvars = rng.randint(1, min(4, 2 ** target))
        names = rng.choice(VARIABLE_SETS)[:nvars]
        gen = TreeGen(rng, names)
        tree = gen.gen(target)
        h = height(tree)
        if not 1 <= h <= 5 or variables_of(tree) != set(names):
            STATS["expr-rejected-trees"] += 1
            continue
        full = rng.random() < 0.35
        expr = render(tree, full=full, spaced_mul=rng.random() < 0.2)
        scale = rng.choice([1.0, 1.0, 0.5, 2.0])
        for _ in range(60):
            w = normal_list(nrng, nvars, scale)
            v = normal_list(nrng, nvars)
            try:
                c = expression_case("expr-random-%02d-depth%d-vars%d" % (k, h, nvars), expr, names, w, v, tree)
            except Invalid:
                STATS["expr-rejected-points"] += 1
                continue
            except ArithmeticError:
                STATS["expr-rejected-accuracy"] += 1
                continue
            cases.append(c)
            k += 1
            break
        else:
            STATS["expr-rejected-trees"] += 1
    return cases


# ===================================================================== MLPs

ACTIVATIONS = {
    "relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": t_softplus,
    "gelu": F.gelu,  # exact erf form (approximate='none')
    "swish": F.silu,
}


class ExactSoftplus(nn.Module):
    def forward(self, x):
        return t_softplus(x)


MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softplus": ExactSoftplus,
           "gelu": nn.GELU, "swish": nn.SiLU}


def param_count(sizes):
    return sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1))


def mlp_forward(w, sizes, act, X, collect=None):
    h, o = X, 0
    L = len(sizes) - 1
    for l in range(L):
        n_in, n_out = sizes[l], sizes[l + 1]
        W = w[o:o + n_out * n_in].reshape(n_out, n_in)
        o += n_out * n_in
        b = w[o:o + n_out]
        o += n_out
        h = F.linear(h, W, b)
        if l < L - 1:
            if collect is not None:
                collect.append(h.detach())
            h = ACTIVATIONS[act](h)
    assert o == w.numel()
    return h


def mlp_loss_fn(sizes, act, loss, inputs, targets):
    X = torch.tensor(inputs, dtype=DT)
    if loss == "cross-entropy":
        T = torch.tensor(targets, dtype=torch.long)
        return lambda w: F.cross_entropy(mlp_forward(w, sizes, act, X), T)
    T = torch.tensor(targets, dtype=DT)
    return lambda w: F.mse_loss(mlp_forward(w, sizes, act, X), T)


def sequential_mlp(sizes, act):
    """The MLP as users write it: nn.Linear layers with the activation module between them, float64."""
    layers = []
    for l in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[l], sizes[l + 1]))
        if l < len(sizes) - 2:
            layers.append(MODULES[act]())
    return nn.Sequential(*layers).to(DT)


def check_against_sequential(sizes, act, loss, inputs, targets, w, value, grad):
    model = sequential_mlp(sizes, act)
    wt = torch.tensor(w, dtype=DT)
    nn.utils.vector_to_parameters(wt, model.parameters())
    assert torch.equal(torch.cat([p.detach().flatten() for p in model.parameters()]), wt)
    out = model(torch.tensor(inputs, dtype=DT))
    if loss == "cross-entropy":
        y = F.cross_entropy(out, torch.tensor(targets, dtype=torch.long))
    else:
        y = F.mse_loss(out, torch.tensor(targets, dtype=DT))
    model.zero_grad()
    y.backward()
    g = torch.cat([p.grad.flatten() for p in model.parameters()])
    assert abs(y.item() - value) <= 1e-14 * max(1.0, abs(value)), (y.item(), value)
    assert torch.allclose(g, torch.tensor(grad, dtype=DT), rtol=1e-13, atol=1e-15)


def fd_check(f, w, v, hv):
    """Central difference of the gradient along v; returns the scaled error."""
    wt, vt = torch.tensor(w, dtype=DT), torch.tensor(v, dtype=DT)

    def grad_at(x):
        x = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(x), x)
        return g

    h = 1e-5 / max(1.0, vt.abs().max().item())
    fd = (grad_at(wt + h * vt) - grad_at(wt - h * vt)) / (2 * h)
    hvt = torch.tensor(hv, dtype=DT)
    return ((fd - hvt).abs().max() / max(1.0, hvt.abs().max().item())).item()


def mlp_case(name, sizes, act, loss, nrng, B, targets=None):
    n = param_count(sizes)
    for _ in range(1000):
        w = normal_list(nrng, n, 0.5)
        inputs = [normal_list(nrng, sizes[0]) for _ in range(B)]
        if act == "relu":
            pre = []
            mlp_forward(torch.tensor(w, dtype=DT), sizes, act, torch.tensor(inputs, dtype=DT), pre)
            if pre and min(p.abs().min().item() for p in pre) <= 1e-3:
                STATS["mlp-relu-redraws"] += 1
                continue
        break
    else:
        raise AssertionError("no relu draw away from 0 for " + name)
    if targets is None:
        if loss == "cross-entropy":
            targets = [int(t) for t in nrng.integers(0, sizes[-1], size=B)]
        else:
            targets = [normal_list(nrng, sizes[-1]) for _ in range(B)]
    v = normal_list(nrng, n)
    f = mlp_loss_fn(sizes, act, loss, inputs, targets)
    value, grad, hv = autograd_hvp(f, w, v)
    check_against_sequential(sizes, act, loss, inputs, targets, w, value, grad)
    err = fd_check(f, w, v, hv)
    STATS["mlp-max-fd-err"] = max(STATS["mlp-max-fd-err"], err)
    assert err < 1e-6, (name, err)
    model = {"kind": "mlp", "sizes": sizes, "activation": act, "loss": loss,
             "inputs": inputs, "targets": targets}
    return {"name": name, "model": model, "w": w, "v": v,
            "expected": {"value": value, "gradient": grad, "hv": hv}}


def mlp_cases(rng, nrng, per_combo=6):
    cases = []
    for act in ACTIVATIONS:
        for loss in ("cross-entropy", "mse"):
            for k in range(per_combo):
                L = rng.choice([2, 2, 3, 3, 4])
                sizes = [rng.randint(1, 7) for _ in range(L + 1)]
                if loss == "cross-entropy" and sizes[-1] == 1:
                    sizes[-1] = rng.randint(2, 7)
                B = rng.randint(1, 5)
                name = "mlp-%s-%s-%02d-%s-b%d" % (act, "ce" if loss == "cross-entropy" else "mse", k,
                                                   "x".join(map(str, sizes)), B)
                cases.append(mlp_case(name, sizes, act, loss, nrng, B))
    cases.append(mlp_case("mlp-medium", [8, 16, 16, 4], "tanh", "cross-entropy", nrng, 6))
    # edge shapes
    cases.append(mlp_case("mlp-edge-single-linear-ce", [3, 4], "tanh", "cross-entropy", nrng, 3))
    cases.append(mlp_case("mlp-edge-single-linear-mse", [2, 1], "relu", "mse", nrng, 4))
    cases.append(mlp_case("mlp-edge-ce-single-class", [2, 3, 1], "gelu", "cross-entropy", nrng, 2, [0, 0]))
    cases.append(mlp_case("mlp-edge-width-1-hidden", [3, 1, 1, 2], "sigmoid", "cross-entropy", nrng, 5))
    cases.append(mlp_case("mlp-edge-batch-1-mse", [1, 1, 1], "swish", "mse", nrng, 1))
    return cases


# ================================================================= invalid

def invalid_cases(nrng):
    out = []

    def add(name, model, w, v, reason):
        out.append({"name": "invalid-" + name, "model": model, "w": w, "v": v, "reason": reason})

    A2 = [[1.0, 2.0], [3.0, 4.0]]
    add("quadratic-w-wrong-length", {"kind": "quadratic", "A": A2}, [1.0, 2.0, 3.0], [1.0, 0.0, 0.0],
        "w has 3 entries but A is 2x2")
    add("quadratic-A-not-square", {"kind": "quadratic", "A": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]},
        [1.0, 2.0], [1.0, 0.0], "A is not square")
    add("quadratic-b-wrong-length", {"kind": "quadratic", "A": A2, "b": [1.0, 2.0, 3.0]}, [1.0, 2.0], [0.5, 0.5],
        "b has 3 entries but A is 2x2")
    add("quadratic-v-wrong-length", {"kind": "quadratic", "A": A2}, [1.0, 2.0], [1.0], "v and w differ in length")
    sizes = [3, 4, 3]
    n = param_count(sizes)  # 31
    X = [normal_list(nrng, 3) for _ in range(2)]
    mlp = {"kind": "mlp", "sizes": sizes, "activation": "tanh", "loss": "cross-entropy", "inputs": X, "targets": [0, 2]}
    w, v = normal_list(nrng, n, 0.5), normal_list(nrng, n)
    add("mlp-w-wrong-length", mlp, w[:-1], v[:-1], "w has %d entries but the network has %d parameters" % (n - 1, n))
    add("mlp-target-out-of-range", dict(mlp, targets=[0, 3]), w, v, "class index 3 out of range for 3 classes")
    add("mlp-target-negative", dict(mlp, targets=[-1, 1]), w, v, "negative class index")
    add("mlp-inputs-width", dict(mlp, inputs=[r[:2] for r in X]), w, v, "inputs have width 2 but sizes[0] is 3")
    add("mlp-targets-batch-mismatch", dict(mlp, targets=[0, 1, 2]), w, v, "3 targets for 2 inputs")
    add("mlp-mse-targets-width", dict(mlp, loss="mse", targets=[[0.5, 1.0], [0.0, -1.0]]), w, v,
        "mse targets have width 2 but sizes[-1] is 3")
    add("mlp-unknown-activation", dict(mlp, activation="elu"), w, v, "unknown activation")

    def expr(name, e, names, w, reason):
        add(name, {"kind": "expression", "expression": e, "variables": names}, w, [1.0] * len(w), reason)

    expr("expression-sqrt-at-0", "sqrt(x)", ["x"], [0.0], "sqrt is not differentiable at 0")
    expr("expression-log-at-minus-1", "log(x)", ["x"], [-1.0], "log of a negative number")
    expr("expression-relu-at-0", "relu(x)", ["x"], [0.0], "relu is not differentiable at 0")
    expr("expression-division-by-zero", "x/y", ["x", "y"], [1.0, 0.0], "division by zero")
    expr("expression-negative-base-fractional-power", "x^y", ["x", "y"], [-2.0, 0.5],
         "non-integer power of a negative number")
    expr("expression-unknown-variable", "x + z", ["x", "y"], [1.0, 2.0], "unknown variable z")
    expr("expression-syntax-error", "x + * y", ["x", "y"], [1.0, 2.0], "syntax error")

    # sanity: the expression ones really are rejected by our grammar / our safety rules
    for c in out:
        m = c["model"]
        if m["kind"] != "expression":
            continue
        try:
            tree = parse(m["expression"])
            assert variables_of(tree) <= set(m["variables"]), "unknown variable"
            exact_expression(tree, m["variables"], c["w"], c["v"])
        except (SyntaxError, Invalid, AssertionError, ValueError, ZeroDivisionError):
            continue
        raise AssertionError("invalid case accepted: " + c["name"])
    return out


# ================================================================ entry

def self_check(cases):
    for c in cases:
        m, n = c["model"], len(c["w"])
        assert len(c["v"]) == n == len(c["expected"]["gradient"]) == len(c["expected"]["hv"]), c["name"]
        if m["kind"] == "mlp":
            assert n == param_count(m["sizes"])
        elif m["kind"] == "quadratic":
            assert n == len(m["A"]) and all(len(r) == n for r in m["A"])
        else:
            assert n == len(m["variables"])
        for x in [c["expected"]["value"]] + c["expected"]["gradient"] + c["expected"]["hv"]:
            assert math.copysign(1.0, x) > 0 or x != 0, "negative zero in " + c["name"]
    # the precedence rules, pinned
    pinned = {"expr-neg-x-squared": -9.0, "expr-x-pow-minus-2": 4.0, "expr-2-pow-3-pow-2-times-x": 256.0,
              "expr-neg-2-squared-plus-x": -3.0, "expr-left-assoc-sub": -4.0, "expr-left-assoc-div": 2.0,
              "expr-times-unary-minus": -3.0, "expr-2-pow-x-pow-2": 2 ** 2.25}
    byname = {c["name"]: c for c in cases}
    for nm, val in pinned.items():
        assert abs(byname[nm]["expected"]["value"] - val) <= 1e-15 * abs(val), (nm, byname[nm]["expected"]["value"])


def generate():
    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    mp.prec = 200
    cases = quadratic_cases(rng, nrng)
    cases += expression_hand_cases(rng, nrng)
    cases += expression_random_cases(rng, nrng)
    cases += mlp_cases(rng, nrng)
    invalid = invalid_cases(nrng)
    self_check(cases)
    return cases, invalid, library_versions("torch", "mpmath", "numpy")


def summary(cases, invalid):
    kinds, combos = {}, {}
    for c in cases:
        m = c["model"]
        kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
        if m["kind"] == "mlp":
            key = (m["activation"], m["loss"])
            combos[key] = combos.get(key, 0) + 1
    return kinds, combos
