#!/usr/bin/python3
"""Generate dlcheck's independent reference fixtures (PyTorch / mpmath / SciPy).

Run from the repository root with Debian's Python (torch 1.13, scipy 1.10,
mpmath 1.2):

    /usr/bin/python3 scripts/reference/generate.py

Writes test/fixtures/{softmax,conv-matrix,receptive-field,param-count,hvp,
special-functions,comparison,questions,swish,logistic-mixture,corner-experiment}.json
deterministically (fixed seeds) and self-checks each file.
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ inside scripts/reference/
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

torch.set_num_threads(1)  # bit-for-bit reproducible float64 sums
torch.use_deterministic_algorithms(True)

import gen_comparison  # noqa: E402
import gen_conv  # noqa: E402
import gen_corner  # noqa: E402
import gen_hvp  # noqa: E402
import gen_swish_mixture  # noqa: E402
import gen_params  # noqa: E402
import gen_questions  # noqa: E402
import gen_rf  # noqa: E402
import gen_softmax  # noqa: E402
import gen_softmax_stress  # noqa: E402
import gen_spectrum  # noqa: E402
import gen_special  # noqa: E402
import common  # noqa: E402
from common import write_fixture  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures")


def main():
    t0 = time.time()
    os.makedirs(OUT, exist_ok=True)
    report = []

    cases, source = gen_softmax.generate()
    n, size = write_fixture(os.path.join(OUT, "softmax.json"), source, cases)
    report.append(("softmax.json", n, size, ""))
    bad = gen_softmax.summarize_disagreements(cases)
    literal = gen_softmax.STATS["literal-recipe-diffs"]
    torch_cmp = gen_softmax.torch_comparison(cases)

    cases, source = gen_softmax_stress.generate()
    n, size = write_fixture(os.path.join(OUT, "softmax-stress.json"), source, cases, min_cases=150)
    report.append(("softmax-stress.json", n, size, "dominance, cancellation, subnormals"))

    cases, invalid, source = gen_conv.generate()
    assert len(invalid) >= 15
    n, size = write_fixture(os.path.join(OUT, "conv-matrix.json"), source, cases, extra={"invalid": invalid})
    report.append(("conv-matrix.json", n, size, "+ %d invalid" % len(invalid)))

    cases, rejected, source = gen_rf.generate()
    n, size = write_fixture(os.path.join(OUT, "receptive-field.json"), source, cases)
    report.append(("receptive-field.json", n, size, "rejected while sampling: %s" % rejected))

    cases, source = gen_params.generate()
    n, size = write_fixture(os.path.join(OUT, "param-count.json"), source, cases)
    report.append(("param-count.json", n, size, ""))

    cases, invalid, source = gen_hvp.generate()
    assert len(cases) >= 150 and len(invalid) >= 10
    n, size = write_fixture(os.path.join(OUT, "hvp.json"), source, cases, extra={"invalid": invalid})
    report.append(("hvp.json", n, size, "+ %d invalid" % len(invalid)))
    hvp_kinds, hvp_combos = gen_hvp.summary(cases, invalid)

    cases, source = gen_special.generate()
    n, size = write_fixture(os.path.join(OUT, "special-functions.json"), source, cases)
    report.append(("special-functions.json", n, size, ""))
    special_cmp = gen_special.library_comparison(cases)

    cases, source = gen_comparison.generate()
    n, size = write_fixture(os.path.join(OUT, "comparison.json"), source, cases)
    report.append(("comparison.json", n, size, ""))

    cases, source = gen_questions.generate()
    n, size = write_fixture(os.path.join(OUT, "questions.json"), source, cases, min_cases=13)
    report.append(("questions.json", n, size, "the question bank's defaults"))

    # The swish and mixture generators come last: generate_swish sets mpmath's working precision
    # (mp.prec = 400) for the rest of the process, which the files above must not see.
    cases, points, constants, source = gen_swish_mixture.generate_swish()
    n, size = write_fixture(os.path.join(OUT, "swish.json"), source, cases,
                            extra={"points": points, "constants": constants}, min_cases=100)
    report.append(("swish.json", n, size, "+ %d points; t* = %r + %r" % (len(points), constants[0]["value"], constants[0]["lo"])))

    cases, source = gen_swish_mixture.generate_mixture()
    n, size = write_fixture(os.path.join(OUT, "logistic-mixture.json"), source, cases, min_cases=100)
    report.append(("logistic-mixture.json", n, size, ""))

    # gen_corner has no generate(): its main() writes the file itself, under its own name
    # (common.GENERATOR = "scripts/reference/gen_corner.py", the file's "generator" field), so
    # the file is the same whichever script wrote it. main() sets that name for the whole
    # process; it is put back for anything written after.
    generator = common.GENERATOR
    try:
        gen_corner.main()
    finally:
        common.GENERATOR = generator
    # gen_spectrum likewise writes its file under its own name.
    try:
        gen_spectrum.main()
    finally:
        common.GENERATOR = generator
    with open(gen_spectrum.OUT, encoding="utf-8") as f:
        spectrum = json.load(f)
    report.append(("spectrum.json", len(spectrum["cases"]), os.path.getsize(gen_spectrum.OUT), ""))
    with open(gen_corner.OUT, encoding="utf-8") as f:
        corner = json.load(f)
    report.append(("corner-experiment.json", len(corner["cases"]), os.path.getsize(gen_corner.OUT),
                   "%d steps of Adam(lr=%g) per case" % (gen_corner.STEPS, gen_corner.LEARNING_RATE)))

    for name, n, size, note in report:
        print("%-22s %4d cases %9d bytes  %s" % (name, n, size, note))
    print("softmax: %d rows escalated beyond 300 bits, %d values rounded by the tail-sign rule, "
          "%d values differ from the brief's literal recipe at 2500 bits (%d only in the sign of zero)"
          % (gen_softmax.STATS["escalated"], gen_softmax.STATS["tail-below-precision"], len(literal),
             sum(1 for t in literal if t[4] == 0)))
    for fn, st in torch_cmp.items():
        print("torch.%s float64 vs exact: %d entries, %d identical, %d off by 1 ulp, %d worse, "
              "%d non-finite where exact is null" % (fn, st["entries"], st["exact"], st["1ulp"],
                                                     len(st["worse"]), st["nonfinite-vs-null"]))
        for t in st["worse"][:12]:
            print("    %-34s row %d [%d]: exact %r, torch %r" % t)
        if len(st["worse"]) > 12:
            print("    ... %d more" % (len(st["worse"]) - 12))
    for lib, rows in bad.items():
        print("%s logsumexp differs from the exact value in %d 1D softmax case(s):" % (lib, len(rows)))
        for case, ref, got in rows:
            print("    %-40s exact %r, %s %r" % (case, ref, lib, got))
    print("hvp: %s" % ", ".join("%s %d" % kv for kv in sorted(hvp_kinds.items())))
    print("hvp mlp activation x loss: %s" % ", ".join("%s/%s %d" % (a, l, k) for (a, l), k in sorted(hvp_combos.items())))
    st = gen_hvp.STATS
    print("hvp checks: expressions vs 200-bit hyper-dual max rel err %.2g (%d unsafe points, %d inaccurate "
          "points, %d trees redrawn); mlp hv vs central difference max err %.2g (%d relu redraws); "
          "quadratic vs closed form max err %.2g"
          % (st["expr-max-err"], st["expr-rejected-points"], st["expr-rejected-accuracy"],
             st["expr-rejected-trees"], st["mlp-max-fd-err"], st["mlp-relu-redraws"], st["quad-max-err"]))
    print("special functions, float64 libraries vs exact (ulps):")
    for lib, st in special_cmp.items():
        print("    %-32s %3d exact, %3d off by 1, %3d worse; worst at t=%r: exact %r, got %r"
              % (lib, st["exact"], st["1ulp"], st["worse"], st["worst"][1], *st["worst-value"]))
    print("done in %.1f s" % (time.time() - t0))


if __name__ == "__main__":
    main()
