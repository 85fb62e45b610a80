"""receptive-field.json: layer shapes (PyTorch), receptive field (Distill
recurrence) and the clipped input region of one output pixel (autograd).

- layerOutputShapes / outputShape: the real torch modules (nn.Conv2d,
  nn.MaxPool2d, nn.AvgPool2d, nn.ReLU) applied to a zero tensor [1,1,H,W].
- receptiveField / jump / start / region: the recurrence of Araujo, Norris &
  Sim, "Computing Receptive Fields of Convolutional Neural Networks",
  Distill 2019, per dimension, pixel centres at integer coordinates.
- clipped: independent check by autograd. Every layer becomes a Conv2d with
  all-ones weights (relu -> identity); the bounding box of the nonzero input
  gradient of output[0,0,i,j] must equal the region clipped to the image.
"""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import library_versions

SEED = 20240503
DT = torch.float64


def layer(type_, kernel=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    return {"type": type_, "kernel": list(kernel), "stride": list(stride),
            "padding": list(padding), "dilation": list(dilation)}


def torch_module(L):
    t = L["type"]
    k, s, p, d = (tuple(L[key]) for key in ("kernel", "stride", "padding", "dilation"))
    if t == "conv":
        return nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
    if t == "maxpool":
        return nn.MaxPool2d(k, stride=s, padding=p, dilation=d)
    if t == "avgpool":
        assert d == (1, 1)
        return nn.AvgPool2d(k, stride=s, padding=p)
    if t == "relu":
        return nn.ReLU()
    raise ValueError(t)


def torch_shapes(H, W, layers):
    """Output shape after each layer, from the real modules (raises if PyTorch rejects)."""
    x = torch.zeros(1, 1, H, W, dtype=DT)
    shapes = []
    with torch.no_grad():
        for L in layers:
            x = torch_module(L).to(DT)(x)
            if x.shape[2] < 1 or x.shape[3] < 1:
                raise RuntimeError("empty output")
            shapes.append([int(x.shape[2]), int(x.shape[3])])
    return shapes


def distill(layers):
    r, j, s = [1, 1], [1, 1], [0.0, 0.0]
    for L in layers:
        for a in range(2):
            k, st, p, d = L["kernel"][a], L["stride"][a], L["padding"][a], L["dilation"][a]
            ke = d * (k - 1) + 1
            r[a] = r[a] + (ke - 1) * j[a]
            s[a] = s[a] + ((ke - 1) / 2 - p) * j[a]
            j[a] = j[a] * st
    return r, j, s


def region_of(pixel, r, j, s):
    box = []
    for a in range(2):
        c = s[a] + pixel[a] * j[a]
        lo, hi = c - (r[a] - 1) / 2, c + (r[a] - 1) / 2
        assert lo == int(lo) and hi == int(hi)
        box.append((int(lo), int(hi)))
    return {"top": box[0][0], "left": box[1][0], "bottom": box[0][1], "right": box[1][1]}


def autograd_box(H, W, layers, pixel):
    """Bounding box of d output[0,0,i,j] / d input with all-ones conv replicas; None if empty."""
    x = torch.ones(1, 1, H, W, dtype=DT, requires_grad=True)
    y = x
    shapes = []
    for L in layers:
        if L["type"] != "relu":
            w = torch.ones(1, 1, *L["kernel"], dtype=DT)
            y = F.conv2d(y, w, None, stride=tuple(L["stride"]), padding=tuple(L["padding"]),
                         dilation=tuple(L["dilation"]))
        shapes.append([int(y.shape[2]), int(y.shape[3])])
    y[0, 0, pixel[0], pixel[1]].backward()
    nz = (x.grad[0, 0] != 0).nonzero()
    if nz.numel() == 0:
        return None, shapes
    rows, cols = nz[:, 0], nz[:, 1]
    return {"top": int(rows.min()), "left": int(cols.min()),
            "bottom": int(rows.max()), "right": int(cols.max())}, shapes


def clip(region, H, W):
    return {"top": max(region["top"], 0), "left": max(region["left"], 0),
            "bottom": min(region["bottom"], H - 1), "right": min(region["right"], W - 1)}


class Rejected(Exception):
    pass


def make_case(name, H, W, layers, pixel):
    shapes = torch_shapes(H, W, layers)
    Ho, Wo = shapes[-1]
    assert 0 <= pixel[0] < Ho and 0 <= pixel[1] < Wo
    r, j, s = distill(layers)
    region = region_of(pixel, r, j, s)
    if region["bottom"] < 0 or region["top"] > H - 1 or region["right"] < 0 or region["left"] > W - 1:
        raise Rejected("outside")
    box, replica_shapes = autograd_box(H, W, layers, pixel)
    assert replica_shapes == shapes, (name, replica_shapes, shapes)
    if box is None:
        raise Rejected("outside")  # only holes of a dilated/strided field fall inside the image
    if box != clip(region, H, W):
        raise Rejected("holes")  # sparse (dilated/strided) field: an edge tap fell outside
    return {
        "name": name,
        "input": [H, W],
        "layers": layers,
        "pixel": list(pixel),
        "expected": {
            "outputShape": [Ho, Wo],
            "layerOutputShapes": shapes,
            "receptiveField": r,
            "jump": j,
            "start": [float(v) for v in s],
            "region": region,
            "clipped": box,
        },
    }


def pair(rng, lo, hi, p_same=0.75, weights=None):
    def one():
        if weights:
            return rng.choices(range(lo, hi + 1), weights=weights)[0]
        return rng.randint(lo, hi)
    a = one()
    return [a, a] if rng.random() < p_same else [a, one()]


def random_layer(rng):
    t = rng.choices(["conv", "maxpool", "avgpool", "relu"], weights=[5, 2, 1, 2])[0]
    if t == "relu":
        return layer("relu")
    if t == "conv":
        k = pair(rng, 1, 5, weights=[1, 2, 4, 1, 2])
        s = pair(rng, 1, 3, p_same=0.85, weights=[6, 3, 1])
        p = pair(rng, 0, 2, weights=[4, 3, 1])
        d = pair(rng, 1, 3, p_same=0.85, weights=[7, 2, 1])
        return layer("conv", k, s, p, d)
    k = pair(rng, 1, 5, p_same=0.85, weights=[1, 5, 3, 1, 1])
    s = list(k) if rng.random() < 0.5 else pair(rng, 1, 3, p_same=0.85, weights=[2, 3, 1])
    p = [rng.randint(0, kk // 2) if rng.random() < 0.4 else 0 for kk in k]
    if t == "maxpool":
        d = pair(rng, 1, 3, p_same=0.9, weights=[8, 2, 1])
        return layer("maxpool", k, s, p, d)
    return layer("avgpool", k, s, p)


def generate():
    rng = random.Random(SEED)
    rejected = {"outside": 0, "holes": 0, "torch": 0}
    cases = []

    c3 = lambda p=0: layer("conv", (3, 3), (1, 1), (p, p), (1, 1))
    a41 = [c3(), layer("relu"), c3(), layer("maxpool", (2, 2), (2, 2)), c3(), layer("relu")]
    cases.append(make_case("assignment-4.1", 32, 32, a41, [0, 0]))
    cases.append(make_case("assignment-4.1-pixel-5-7", 32, 32, a41, [5, 7]))
    a51 = [c3(1), c3(1), c3(1), c3(1)]
    cases.append(make_case("assignment-5.1", 32, 32, a51, [0, 0]))
    cases.append(make_case("assignment-5.1-pixel-16-16", 32, 32, a51, [16, 16]))
    cases.append(make_case("assignment-5.1-pixel-31-2", 32, 32, a51, [31, 2]))
    assert cases[0]["expected"]["outputShape"] == [12, 12]
    assert cases[2]["expected"]["outputShape"] == [32, 32]
    assert cases[2]["expected"]["receptiveField"] == [9, 9]

    # a few hand-written classics
    cases.append(make_case("single-relu", 8, 8, [layer("relu")], [3, 4]))
    cases.append(make_case("single-conv1x1-stride2", 9, 8, [layer("conv", (1, 1), (2, 2))], [4, 3]))
    cases.append(make_case("dilated-conv-corner", 16, 16, [layer("conv", (3, 3), (1, 1), (2, 2), (2, 2))], [0, 0]))
    cases.append(make_case("even-kernel-half-start", 10, 12, [layer("conv", (2, 4), (1, 1))], [2, 5]))
    cases.append(make_case("vgg-like-7-layers", 32, 32,
                           [c3(1), layer("relu"), c3(1), layer("relu"), layer("maxpool", (2, 2), (2, 2)),
                            c3(1), layer("relu")],
                           [7, 0]))

    n = 0
    while len(cases) < 150:
        H = rng.randint(8, 64)
        W = H if rng.random() < 0.6 else rng.randint(8, 64)
        depth = rng.choices(range(1, 8), weights=[1, 2, 3, 3, 3, 3, 3])[0]
        layers = [random_layer(rng) for _ in range(depth)]
        try:
            shapes = torch_shapes(H, W, layers)
        except RuntimeError:
            rejected["torch"] += 1
            continue
        Ho, Wo = shapes[-1]
        # a third of the pixels on the border, where clipping happens
        pixel = [rng.choice([0, n_ - 1]) if rng.random() < 0.33 else rng.randint(0, n_ - 1)
                 for n_ in (Ho, Wo)]
        name = "random-%03d-in%dx%d-%dlayers" % (n, H, W, len(layers))
        try:
            cases.append(make_case(name, H, W, layers, pixel))
            n += 1
        except Rejected as e:
            rejected[str(e)] += 1
    return cases, rejected, library_versions("torch")
