"""param-count.json: parameter counts and output shapes from torch modules.

(a) MLPs: nn.Linear(sizes[i], sizes[i+1], bias=bias) per layer.
(b) Architecture strings in dlcheck's notation; each element is mapped to
    the equivalent torch module and a zero tensor [1, C, H, W] is pushed
    through to read the output shape after every element.
"""
import random

import torch
import torch.nn as nn

from common import library_versions

SEED = 20240504


def count(module):
    w = module.weight.numel() if getattr(module, "weight", None) is not None else 0
    b = module.bias.numel() if getattr(module, "bias", None) is not None else 0
    return {"weights": int(w), "biases": int(b), "params": int(w + b)}


# --------------------------------------------------------------------------- MLP
def mlp_case(name, sizes, bias):
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        lin = nn.Linear(a, b, bias=bias)
        c = count(lin)
        assert c["params"] == sum(p.numel() for p in lin.parameters())
        layers.append(c)
    return {"name": name, "sizes": sizes, "bias": bias,
            "expected": {"total": sum(l["params"] for l in layers), "layers": layers}}


# ------------------------------------------------------------------ architectures
# An element is a dict: {kind, ...}; render() writes the notation, build() the torch module.

def render(el):
    k = el["kind"]
    if k == "conv":
        kh, kw = el["kernel"]
        parts = []
        for key in el["order"]:
            v = el[key]
            parts.append("%s=%s" % (key, ("true" if v else "false") if key == "bias" else v))
        return "Conv-%dx%d(%s)" % (kh, kw, ", ".join(parts))
    if k in ("maxpool", "avgpool"):
        kh, kw = el["kernel"]
        s = "%s-%dx%d" % ("MaxPool" if k == "maxpool" else "AvgPool", kh, kw)
        parts = ["%s=%d" % (key, el[key]) for key in el["order"]]
        return s + ("(%s)" % ", ".join(parts) if parts else "")
    if k == "fc":
        s = "FC-%d" % el["out"]
        if "bias" in el["order"]:
            s += "(bias=%s)" % ("true" if el["bias"] else "false")
        if el.get("outputTag"):
            s += " (Output)"
        return s
    return {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "dropout": "Dropout",
            "batchnorm": "BatchNorm", "gap": "Global Avg. Pool", "gmp": "Global Max Pool"}[k]


def build(el, shape):
    """torch module for the element given the current shape [C, H, W]."""
    C, H, W = shape
    k = el["kind"]
    if k == "conv":
        return nn.Conv2d(C, el["out"], tuple(el["kernel"]), stride=el["stride"], padding=el["padding"],
                         dilation=el["dilation"], bias=el["bias"]), None
    if k == "maxpool":
        return nn.MaxPool2d(tuple(el["kernel"]), stride=el.get("stride"), padding=el.get("padding", 0)), None
    if k == "avgpool":
        return nn.AvgPool2d(tuple(el["kernel"]), stride=el.get("stride"), padding=el.get("padding", 0)), None
    if k == "fc":
        lin = nn.Linear(C * H * W, el["out"], bias=el["bias"])
        return nn.Sequential(nn.Flatten(), lin), lin
    if k == "batchnorm":
        return nn.BatchNorm2d(C), None
    if k == "gap":
        return nn.AdaptiveAvgPool2d(1), None
    if k == "gmp":
        return nn.AdaptiveMaxPool2d(1), None
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "dropout": nn.Dropout}[k](), None


def evaluate(elements, input_shape):
    """Per-element counts and output shapes; raises RuntimeError if torch rejects it."""
    x = torch.zeros(1, *input_shape)
    shape = list(input_shape)
    layers = []
    with torch.no_grad():
        for el in elements:
            mod, counted = build(el, shape)
            mod.eval()
            x = mod(x)
            if x.dim() == 2:
                shape = [int(x.shape[1]), 1, 1]
            else:
                shape = [int(x.shape[1]), int(x.shape[2]), int(x.shape[3])]
                if shape[1] < 1 or shape[2] < 1:
                    raise RuntimeError("empty output")
            c = count(counted if counted is not None else mod)
            assert c["params"] == sum(p.numel() for p in mod.parameters())
            c["outputShape"] = shape
            layers.append(c)
    return layers


def arch_case(name, elements, input_shape, arrow=" → ", image=True, output=True):
    parts = (["Image"] if image else []) + [render(e) for e in elements] + (["Output"] if output else [])
    layers = evaluate(elements, input_shape)
    return {"name": name, "architecture": arrow.join(parts), "input": list(input_shape),
            "expected": {"total": sum(l["params"] for l in layers), "layers": layers}}


def conv_el(out, kernel=(3, 3), stride=1, padding=0, dilation=1, bias=True, order=None):
    el = {"kind": "conv", "kernel": list(kernel), "out": out, "stride": stride, "padding": padding,
          "dilation": dilation, "bias": bias}
    el["order"] = order if order is not None else ["out"] + [k for k, d in
                                                            (("stride", 1), ("padding", 0), ("dilation", 1))
                                                            if el[k] != d] + ([] if bias else ["bias"])
    return el


def random_element(rng, spatial):
    if not spatial:
        kind = rng.choices(["fc", "relu", "tanh", "sigmoid", "dropout"], weights=[10, 4, 1, 1, 2])[0]
    else:
        kind = rng.choices(["conv", "maxpool", "avgpool", "relu", "tanh", "sigmoid", "dropout",
                            "batchnorm", "gap", "gmp", "fc"],
                           weights=[14, 4, 2, 5, 1, 1, 1, 3, 1, 1, 2])[0]
    if kind == "conv":
        kernel = rng.choice([(3, 3)] * 6 + [(5, 5)] * 3 + [(1, 1)] * 2 + [(3, 5), (5, 3), (1, 3), (3, 1), (2, 2), (7, 7)])
        el = {"kind": "conv", "kernel": list(kernel),
              "out": rng.choice([1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64]),
              "stride": rng.choices([1, 2, 3], weights=[6, 3, 1])[0],
              "padding": rng.choices([0, 1, 2, 3], weights=[4, 4, 2, 1])[0],
              "dilation": rng.choices([1, 2, 3], weights=[8, 2, 1])[0],
              "bias": rng.random() > 0.15}
        keys = [k for k, d in (("stride", 1), ("padding", 0), ("dilation", 1)) if el[k] != d or rng.random() < 0.1]
        if not el["bias"] or rng.random() < 0.05:
            keys.append("bias")
        rng.shuffle(keys)
        pos = rng.randint(0, len(keys)) if rng.random() < 0.4 else 0
        el["order"] = keys[:pos] + ["out"] + keys[pos:]
        return el
    if kind in ("maxpool", "avgpool"):
        k = rng.choice([2, 2, 2, 3, 3, 4])
        kernel = [k, k] if rng.random() < 0.85 else [k, rng.choice([2, 3])]
        el = {"kind": kind, "kernel": kernel, "order": []}
        if rng.random() < 0.4:
            el["stride"] = rng.choice([1, 2, 3])
            el["order"].append("stride")
        if rng.random() < 0.3:
            el["padding"] = rng.randint(0, min(kernel) // 2)
            el["order"].append("padding")
        return el
    if kind == "fc":
        el = {"kind": "fc", "out": rng.choice([1, 2, 5, 10, 16, 32, 64, 100, 128, 256]), "bias": True, "order": []}
        if rng.random() < 0.15:
            el["bias"] = False
            el["order"] = ["bias"]
        return el
    return {"kind": kind}


def random_architecture(rng):
    n = rng.randint(2, 8)
    els, spatial = [], True
    for _ in range(n):
        el = random_element(rng, spatial)
        els.append(el)
        if el["kind"] in ("fc", "gap", "gmp"):
            spatial = False
    # FC-heavy nets on big maps: keep the weight matrices modest
    return els


def generate():
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    cases = []

    # ---------------------------------------------------------------- (a) MLPs
    cases.append(mlp_case("assignment-3.2", [32, 512, 512, 10], True))
    assert cases[-1]["expected"]["total"] == 284682
    cases.append(mlp_case("mlp-single-layer-1-1", [1, 1], True))
    cases.append(mlp_case("mlp-single-layer-1-1-nobias", [1, 1], False))
    cases.append(mlp_case("mlp-784-100-10", [784, 100, 10], True))
    for k in range(60):
        sizes = [rng.randint(1, 600) for _ in range(rng.randint(2, 6))]
        bias = rng.random() < 0.8
        cases.append(mlp_case("mlp-%02d-%s%s" % (k, "-".join(map(str, sizes)), "" if bias else "-nobias"),
                              sizes, bias))

    # ------------------------------------------------------- (b) architectures
    a51 = [conv_el(16, padding=1, order=["padding", "out"]) for _ in range(3)] + \
          [conv_el(1, padding=1, order=["padding", "out"])]
    c = arch_case("assignment-5.1", a51, [1, 32, 32])
    assert c["architecture"] == ("Image → Conv-3x3(padding=1, out=16) → Conv-3x3(padding=1, out=16) → "
                                 "Conv-3x3(padding=1, out=16) → Conv-3x3(padding=1, out=1) → Output"), c["architecture"]
    cases.append(c)
    a42 = [conv_el(16, (5, 5)), {"kind": "relu"}, conv_el(32, (5, 5)), {"kind": "relu"}, {"kind": "gap"},
           {"kind": "fc", "out": 128, "bias": True, "order": []},
           {"kind": "fc", "out": 1, "bias": True, "order": [], "outputTag": True}]
    c = arch_case("assignment-4.2", a42, [3, 32, 32], output=False)
    assert c["architecture"] == ("Image → Conv-5x5(out=16) → ReLU → Conv-5x5(out=32) → ReLU → "
                                 "Global Avg. Pool → FC-128 → FC-1 (Output)"), c["architecture"]
    cases.append(c)

    # hand-written coverage of every element form
    cases.append(arch_case("elements-conv-bias-false-batchnorm", [conv_el(8, bias=False), {"kind": "batchnorm"},
                                                                  {"kind": "relu"}], [3, 16, 16]))
    cases.append(arch_case("elements-conv-all-settings",
                           [conv_el(16, (5, 5), stride=2, padding=1, dilation=2,
                                    order=["stride", "padding", "dilation", "out"])], [1, 32, 32]))
    cases.append(arch_case("elements-pools-default-stride",
                           [conv_el(4, padding=1), {"kind": "maxpool", "kernel": [2, 2], "order": []},
                            {"kind": "avgpool", "kernel": [3, 3], "order": ["stride", "padding"], "stride": 2, "padding": 1}],
                           [2, 20, 20], arrow=" -> "))
    cases.append(arch_case("elements-activations-dropout",
                           [conv_el(6), {"kind": "tanh"}, {"kind": "sigmoid"}, {"kind": "dropout"},
                            {"kind": "gmp"}, {"kind": "fc", "out": 64, "bias": False, "order": ["bias"]},
                            {"kind": "relu"}, {"kind": "fc", "out": 10, "bias": True, "order": [], "outputTag": True}],
                           [3, 12, 12], image=False, output=False))
    cases.append(arch_case("elements-fc-on-spatial-map",
                           [{"kind": "fc", "out": 10, "bias": True, "order": []}], [3, 8, 8], arrow=" -> "))

    k = 0
    while len(cases) < 64 + 7 + 130:
        els = random_architecture(rng)
        C = rng.randint(1, 3)
        H = rng.randint(8, 40)
        W = H if rng.random() < 0.7 else rng.randint(8, 40)
        arrow = " -> " if rng.random() < 1 / 3 else " → "
        image = rng.random() < 0.6
        if els[-1]["kind"] == "fc" and els[-1]["bias"] and rng.random() < 0.4:
            els[-1]["outputTag"] = True
            output = False
        else:
            output = rng.random() < 0.5
        try:
            c = arch_case("arch-%03d-%dlayers" % (k, len(els)), els, [C, H, W], arrow, image, output)
        except RuntimeError:
            continue
        if max(l["params"] for l in c["expected"]["layers"]) > 5_000_000:
            continue
        cases.append(c)
        k += 1
    return cases, library_versions("torch")
