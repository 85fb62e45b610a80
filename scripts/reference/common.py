"""Shared helpers for the dlcheck reference-data generator.

Everything here is deterministic: callers pass their own seeded RNGs.
"""
import json
import math
import os
import platform

GENERATOR = "scripts/reference/generate.py"


def library_versions(*names):
    """Human-readable version string for the given libraries (plus Python)."""
    parts = ["Python " + platform.python_version()]
    for name in names:
        mod = __import__(name)
        parts.append("%s %s" % (name, mod.__version__))
    return "; ".join(parts)


def finite_or_none(v):
    """Python float, or None when v is not finite in float64."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _check_no_nonfinite(obj, path="$"):
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise AssertionError("non-finite float at " + path)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _check_no_nonfinite(v, path + "." + str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check_no_nonfinite(v, "%s[%d]" % (path, i))
    elif obj is None or isinstance(obj, (bool, int, str)):
        pass
    else:
        raise AssertionError("unexpected type %r at %s" % (type(obj), path))


def write_fixture(path, source, cases, extra=None, min_cases=120, max_bytes=3_000_000):
    """Write {generator, source, cases[, extra arrays]} as strict JSON.

    One case per line (stable, diff-friendly); floats use Python's repr
    (shortest round-trip), so JavaScript's JSON.parse reads identical doubles.
    Returns (number of cases, size in bytes).
    """
    extra = extra or {}
    doc = {"generator": GENERATOR, "source": source, "cases": cases}
    doc.update(extra)
    _check_no_nonfinite(doc)

    def dump(o):
        return json.dumps(o, allow_nan=False, ensure_ascii=False, separators=(",", ":"))

    def dump_array(arr):
        if not arr:
            return "[]"
        return "[\n" + ",\n".join(dump(c) for c in arr) + "\n]"

    out = ["{", '"generator":' + dump(GENERATOR) + ",", '"source":' + dump(source) + ","]
    keys = ["cases"] + list(extra.keys())
    for n, key in enumerate(keys):
        sep = "," if n < len(keys) - 1 else ""
        out.append(dump(key) + ":" + dump_array(doc[key]) + sep)
    out.append("}")
    text = "\n".join(out) + "\n"

    with open(path, "w", encoding="utf-8") as f:
        f.write(text)

    # --- self-check: re-read strictly and compare -------------------------
    def reject_constant(c):
        raise AssertionError("non-strict JSON constant %s in %s" % (c, path))

    with open(path, "r", encoding="utf-8") as f:
        back = json.load(f, parse_constant=reject_constant)
    assert back == doc, "round-trip mismatch in " + path
    assert back["generator"] == GENERATOR
    names = [c["name"] for c in back["cases"]]
    for key in extra:
        names += [c["name"] for c in back[key]]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, "duplicate case names in %s: %s" % (path, dupes)
    assert len(back["cases"]) >= min_cases, "%s: only %d cases" % (path, len(back["cases"]))
    size = os.path.getsize(path)
    assert size < max_bytes, "%s is %d bytes" % (path, size)
    return len(back["cases"]), size


def to_double(v):
    """Correctly rounded float64 of an mpf or raw mpf tuple (None if it overflows float64).

    mpmath's own float() first rounds to 53 bits and then lets ldexp round
    again for subnormals (double rounding), and cannot represent huge
    exponents cheaply, so this converts through exact integer arithmetic:
    Python's int -> float and int / int are correctly rounded (subnormals
    included) and raise OverflowError past the float64 range.
    """
    t = v if isinstance(v, tuple) else v._mpf_
    sign, man, exp, bc = t
    if not man:
        if exp:  # +-inf / nan special values
            return None
        return 0.0
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
