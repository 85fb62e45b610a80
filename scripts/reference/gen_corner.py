#!/usr/bin/python3
"""corner-experiment.json: question 5.4's network trained by PyTorch (float64).

Run from the repository root with Debian's Python (torch 1.13):

    /usr/bin/python3 scripts/reference/gen_corner.py

The network is four nn.Conv2d(kernel 3, padding 1) layers, 1 -> 16 -> 16 -> 16 -> 1,
biases on, ReLU after the first three; the residual variant adds h1 (the output of the
first ReLU) to conv3's output before its ReLU (a ResNet basic block around conv2, conv3).
The loss is F.binary_cross_entropy_with_logits (mean over the 4 x 25 pixels) and the
optimiser torch.optim.Adam(lr) with its default betas (0.9, 0.999) and eps 1e-8,
full batch.

The data are the four 5x5 images of the reconstructed Figure 2: top-left a and
bottom-right b in {0, 1}, every other pixel 0; targets with both corners [a == b] and
every other pixel 0. They are written into the fixture, so the test checks the service's
dataset is the one PyTorch trained on.

Initial weights: nn.Conv2d's default initialisation under torch.manual_seed(s), created in
float64, then rounded to 5 decimals (so the fixture stays small; the rounded values are
the initial weights both sides use, exactly). For every weight set and both variants the
fixture records, after Adam steps 0..STEPS, the loss (STEPS + 1 values), the gradient at
step 0 (autograd; for the first weight set only, null for the others, to keep the file
under 300 KB) and the sigmoid of the final logits. The gradient is written to 13
significant digits (a relative rounding of at most 5e-14): the test compares to 1e-10.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ inside scripts/reference/
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import common  # noqa: E402
from common import library_versions, write_fixture  # noqa: E402

torch.set_num_threads(1)  # bit-for-bit reproducible float64 sums
torch.use_deterministic_algorithms(True)

DT = torch.float64
SIDE = 5
CHANNELS = 16
LAYERS = [(1, CHANNELS), (CHANNELS, CHANNELS), (CHANNELS, CHANNELS), (CHANNELS, 1)]
NAMES = ["conv1", "conv2", "conv3", "conv4"]
TORCH_SEEDS = [0, 1, 2]
GRADIENT_SEEDS = {0}  # the step-0 gradient (4945 numbers) only for these weight sets: the fixture stays < 300 KB
STEPS = 30
LEARNING_RATE = 0.01  # ten times the service's default (1e-3): 30 steps move the weights further
DECIMALS = 5
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "corner-experiment.json")


def dataset():
    """(inputs 4x1x5x5, targets 4x1x5x5, the JSON rows) in the order (a, b) = 00, 01, 10, 11."""
    inputs = torch.zeros(4, 1, SIDE, SIDE, dtype=DT)
    targets = torch.zeros(4, 1, SIDE, SIDE, dtype=DT)
    rows = []
    for n, (a, b) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        inputs[n, 0, 0, 0] = a
        inputs[n, 0, -1, -1] = b
        targets[n, 0, 0, 0] = targets[n, 0, -1, -1] = 1.0 if a == b else 0.0
        rows.append({"name": "tl%d-br%d" % (a, b), "topLeft": a, "bottomRight": b,
                     "input": inputs[n, 0].tolist(), "target": targets[n, 0].tolist()})
    return inputs, targets, rows


class CornerNet(torch.nn.Module):
    def __init__(self, residual):
        super().__init__()
        self.residual = residual
        for name, (cin, cout) in zip(NAMES, LAYERS):
            setattr(self, name, torch.nn.Conv2d(cin, cout, 3, padding=1, dtype=DT))

    def forward(self, x):
        h1 = F.relu(self.conv1(x))
        h2 = F.relu(self.conv2(h1))
        pre3 = self.conv3(h2)
        h3 = F.relu(pre3 + h1 if self.residual else pre3)
        return self.conv4(h3)


def initial_weights(seed):
    """nn.Conv2d's default init under manual_seed(seed), rounded to DECIMALS."""
    torch.manual_seed(seed)
    layers = [torch.nn.Conv2d(cin, cout, 3, padding=1, dtype=DT) for cin, cout in LAYERS]
    out = {"name": "torch-seed-%d" % seed, "torchSeed": seed, "decimals": DECIMALS}
    for name, layer in zip(NAMES, layers):
        bound = 1 / (layer.in_channels * 9) ** 0.5
        for p in (layer.weight, layer.bias):
            assert p.abs().max().item() <= bound  # kaiming_uniform(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        out[name] = {"weight": [round(float(v), DECIMALS) + 0.0 for v in layer.weight.detach().flatten()],
                     "bias": [round(float(v), DECIMALS) + 0.0 for v in layer.bias.detach().flatten()]}
    return out


def load(model, weights):
    with torch.no_grad():
        for name in NAMES:
            layer = getattr(model, name)
            layer.weight.copy_(torch.tensor(weights[name]["weight"], dtype=DT).reshape(layer.weight.shape))
            layer.bias.copy_(torch.tensor(weights[name]["bias"], dtype=DT))


def sig13(v):
    """v to 13 significant digits (as a float64), +0.0 for zeros."""
    return float("%.13g" % v) + 0.0


def train(weights, residual, inputs, targets):
    model = CornerNet(residual)
    load(model, weights)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    losses, gradient = [], None
    for step in range(STEPS + 1):
        optimizer.zero_grad()
        logits = model(inputs)
        loss = F.binary_cross_entropy_with_logits(logits, targets)
        losses.append(loss.item())
        if step == STEPS:
            break
        loss.backward()
        if step == 0 and weights["torchSeed"] in GRADIENT_SEEDS:
            gradient = {name: {"weight": [sig13(v) for v in getattr(model, name).weight.grad.flatten().tolist()],
                               "bias": [sig13(v) for v in getattr(model, name).bias.grad.flatten().tolist()]}
                        for name in NAMES}
        optimizer.step()
    # independent check of the loss formula: the stable form by hand
    z, y = logits.detach(), targets
    by_hand = (z.clamp_min(0) - z * y + torch.log1p(torch.exp(-z.abs()))).mean().item()
    assert abs(by_hand - losses[-1]) <= 1e-14 * abs(losses[-1]), (by_hand, losses[-1])
    predictions = torch.sigmoid(logits.detach())[:, 0].reshape(4, SIDE * SIDE).tolist()
    return {"name": "%s-%s" % (weights["name"], "residual" if residual else "plain"),
            "weights": weights["name"], "residual": residual, "learningRate": LEARNING_RATE,
            "steps": STEPS, "losses": losses, "gradient": gradient, "predictions": predictions}


def main():
    common.GENERATOR = "scripts/reference/gen_corner.py"
    inputs, targets, rows = dataset()
    weight_sets = [initial_weights(s) for s in TORCH_SEEDS]
    cases = [train(w, residual, inputs, targets) for w in weight_sets for residual in (False, True)]
    source = ("PyTorch float64, single thread: nn.Conv2d x 4 (3x3, padding 1), BCE with logits, "
              "torch.optim.Adam(lr=%g), %d full-batch steps; %s" % (LEARNING_RATE, STEPS, library_versions("torch")))
    n, size = write_fixture(OUT, source, cases, extra={"initialWeights": weight_sets, "dataset": rows},
                            min_cases=4, max_bytes=300_000)
    print("%s: %d cases, %d bytes" % (os.path.relpath(OUT, ROOT), n, size))
    for c in cases:
        print("  %-26s loss %.6f -> %.6f" % (c["name"], c["losses"][0], c["losses"][-1]))


if __name__ == "__main__":
    main()
