"""SuperGlue references from the public model code (matchers.md section 2), run as the oracle:
  - models/superglue.py of magicleap/SuperGluePretrainedNetwork @ ddcf11f (the model), and
  - gluefactory_nonfree/superglue.py (SuperGlue.loss) and gluefactory/models/utils/losses.py
    (NLLLoss, LightGlue's variant) of cvg/glue-factory (the losses).
Neither is part of this repository: fetch them into the ignored folder .ref/ first, e.g.
  git --git-dir=<mirror of SuperGluePretrainedNetwork> show HEAD:models/superglue.py > .ref/superglue.py
  git --git-dir=<mirror of glue-factory> show HEAD:gluefactory_nonfree/superglue.py > .ref/gf_superglue.py
  git --git-dir=<mirror of glue-factory> show HEAD:gluefactory/models/utils/losses.py > .ref/losses.py
This script only builds inputs, random weights and ground truth, calls that code and stores
what it returns. Writes
  models_superglue_tiny.pth: random weights (D = 32, encoder [8, 16], 4 layers) in the official
    layout (torch.save of the state dict: Conv1d weights [out, in, 1], BN buffers, bin_score);
  models_superglue.h5: eval-mode forward of two pairs of different sizes (each pair run alone:
    the sp model gets them as one padded batch), their log-assignments and matches; one
    training step (train mode, batch 2, fixed counts): log-assignment, Glue Factory's SuperGlue
    loss per pair and the gradient of the batch-mean loss for every parameter; and both losses
    (SuperGlue's joint and LightGlue's per-side negative normalisation) on a random f64
    log-assignment with matched, unmatched and ignored points.
Run: /work/main/.venv/bin/python -P tests/reference/models_superglue.py (PyTorch 2.x)."""
import os
import sys
import types

import h5py
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = os.path.join(ROOT, ".ref")
HERE = os.path.join(ROOT, "tests", "reference", "fixtures")
sys.path.insert(0, REF)

# glue-factory's model base class and omegaconf are not needed by the two loss functions
# used here: stand-ins let their modules import.
gf = types.ModuleType("gluefactory")
gf_models = types.ModuleType("gluefactory.models")
gf_base = types.ModuleType("gluefactory.models.base_model")
gf_base.BaseModel = torch.nn.Module
sys.modules.update({"gluefactory": gf, "gluefactory.models": gf_models,
                    "gluefactory.models.base_model": gf_base})
if "omegaconf" not in sys.modules:
    oc = types.ModuleType("omegaconf")
    oc.OmegaConf = types.SimpleNamespace(merge=lambda a, b: types.SimpleNamespace(**{**a, **b}))
    sys.modules["omegaconf"] = oc

import superglue as sg  # noqa: E402
import gf_superglue  # noqa: E402
import losses as gf_losses  # noqa: E402

torch.manual_seed(7)
D, ENC, LAYERS, ITERS, THRESH = 32, [8, 16], ["self", "cross", "self", "cross"], 10, 0.05

# The official constructor loads weights from its own folder: skip that, then load ours.
real_load, real_lsd = torch.load, sg.SuperGlue.load_state_dict
torch.load = lambda *a, **k: None
sg.SuperGlue.load_state_dict = lambda self, *a, **k: None
model = sg.SuperGlue({"descriptor_dim": D, "keypoint_encoder": ENC, "GNN_layers": LAYERS,
                      "sinkhorn_iterations": ITERS, "match_threshold": THRESH})
torch.load, sg.SuperGlue.load_state_dict = real_load, real_lsd

with torch.no_grad():
    for name, p in model.named_parameters():
        if name == "bin_score":
            p.fill_(0.8)
        elif p.dim() == 3:  # conv: independent of each other (proj copies merge at init)
            p.copy_(torch.randn_like(p) / p.shape[1] ** 0.5)
        elif name.endswith("bias"):
            p.copy_(torch.randn_like(p) * 0.1)
        else:  # batch norm scale
            p.copy_(1 + torch.randn_like(p) * 0.1)
    for name, b in model.named_buffers():
        if name.endswith("running_mean"):
            b.copy_(torch.randn_like(b) * 0.1)
        elif name.endswith("running_var"):
            b.copy_(0.5 + torch.rand_like(b))
        elif name.endswith("num_batches_tracked"):
            b.fill_(3)
torch.save(model.state_dict(), os.path.join(HERE, "models_superglue_tiny.pth"))
init_state = {k: v.clone() for k, v in model.state_dict().items()}

# Capture the log-assignment the model computes inside forward().
captured = {}
real_ot = sg.log_optimal_transport


def spy_ot(scores, alpha, iters):
    z = real_ot(scores, alpha, iters)
    captured["log_assignment"] = z
    return z


sg.log_optimal_transport = spy_ot


def features(n, w, h, b=1):
    kp = torch.rand(b, n, 2) * torch.tensor([w - 1.0, h - 1.0])
    sc = torch.rand(b, n)
    desc = torch.nn.functional.normalize(torch.randn(b, D, n), dim=1)
    return kp, sc, desc


def run(kp0, sc0, d0, size0, kp1, sc1, d1, size1):
    data = {"keypoints0": kp0, "scores0": sc0, "descriptors0": d0,
            "image0": torch.empty(kp0.shape[0], 1, size0[1], size0[0]),
            "keypoints1": kp1, "scores1": sc1, "descriptors1": d1,
            "image1": torch.empty(kp1.shape[0], 1, size1[1], size1[0])}
    captured.clear()
    out = model(data)
    return out, captured.get("log_assignment")


out = {}
# Eval: two pairs of different counts and image sizes, each run alone.
model.eval()
pairs = [(7, 9, (64, 48), (80, 40)), (12, 5, (50, 70), (64, 48))]
with torch.no_grad():
    for p, (n0, n1, size0, size1) in enumerate(pairs):
        kp0, sc0, d0 = features(n0, *size0)
        kp1, sc1, d1 = features(n1, *size1)
        res, la = run(kp0, sc0, d0, size0, kp1, sc1, d1, size1)
        pre = f"eval/{p}/"
        out[pre + "keypoints0"], out[pre + "scores0"] = kp0[0], sc0[0]
        out[pre + "descriptors0"] = d0[0].t().contiguous()  # [N, D]
        out[pre + "keypoints1"], out[pre + "scores1"] = kp1[0], sc1[0]
        out[pre + "descriptors1"] = d1[0].t().contiguous()
        out[pre + "size0"] = torch.tensor(size0, dtype=torch.float32)
        out[pre + "size1"] = torch.tensor(size1, dtype=torch.float32)
        out[pre + "log_assignment"] = la[0]
        out[pre + "matches0"] = res["matches0"][0].long()
        out[pre + "matches1"] = res["matches1"][0].long()
        out[pre + "matching_scores0"] = res["matching_scores0"][0]

# One training step: train mode (batch-norm batch statistics), batch 2, fixed counts.
model.load_state_dict(init_state)
model.train()
B, N, M, size = 2, 10, 8, (64, 48)
kp0, sc0, d0 = features(N, *size, b=B)
kp1, sc1, d1 = features(M, *size, b=B)
g0 = torch.full((B, N), -1, dtype=torch.long)
g1 = torch.full((B, M), -1, dtype=torch.long)
for b, pos in enumerate([[(0, 3), (2, 1), (5, 5), (9, 0)], [(1, 7), (4, 2)]]):
    for i, j in pos:
        g0[b, i], g1[b, j] = j, i
g0[0, 7], g1[0, 6], g0[1, 8], g1[1, 0] = -2, -2, -2, -2  # ignored
assignment = torch.zeros(B, N, M)
for b in range(B):
    for i in range(N):
        if g0[b, i] >= 0:
            assignment[b, i, g0[b, i]] = 1
model.zero_grad()
res, la = run(kp0, sc0, d0, size, kp1, sc1, d1, size)
fake = types.SimpleNamespace(conf=types.SimpleNamespace(loss=types.SimpleNamespace(nll_balancing=0.5)),
                             bin_score=model.bin_score)
losses = gf_superglue.SuperGlue.loss(fake, {"log_assignment": la},
                                     {"gt_assignment": assignment, "gt_matches0": g0, "gt_matches1": g1})
losses["total"].mean().backward()
out["train/keypoints0"], out["train/scores0"] = kp0, sc0
out["train/descriptors0"] = d0.transpose(1, 2).contiguous()
out["train/keypoints1"], out["train/scores1"] = kp1, sc1
out["train/descriptors1"] = d1.transpose(1, 2).contiguous()
out["train/size"] = torch.tensor(size, dtype=torch.float32)
out["train/gt_matches0"], out["train/gt_matches1"] = g0, g1
out["train/log_assignment"] = la.detach()
for k in ("total", "nll_pos", "nll_neg"):
    out["train/loss/" + k] = losses[k].detach()
for name, p in model.named_parameters():
    out["train/grad/" + name] = p.grad.reshape(p.shape[:2]) if p.dim() == 3 else p.grad

# Both losses on a random f64 log-assignment (gradcheck data for the C++ loss as well).
torch.manual_seed(11)
B, N, M = 3, 6, 5
la = torch.log_softmax(torch.randn(B, N + 1, M + 1, dtype=torch.float64), -1).requires_grad_(True)
g0 = torch.randint(-2, 0, (B, N))
g1 = torch.randint(-2, 0, (B, M))
for b, pos in enumerate([[(0, 0), (3, 4)], [(5, 1)], []]):
    for i, j in pos:
        g0[b, i], g1[b, j] = j, i
g1[2, :] = -2  # a pair without unmatched points in image 1: the two normalisations differ
assignment = torch.zeros(B, N, M, dtype=torch.float64)
for b in range(B):
    for i in range(N):
        if g0[b, i] >= 0:
            assignment[b, i, g0[b, i]] = 1
data = {"gt_assignment": assignment, "gt_matches0": g0, "gt_matches1": g1}
joint = gf_superglue.SuperGlue.loss(fake, {"log_assignment": la}, data)
(grad_joint,) = torch.autograd.grad(joint["total"].sum(), la)
nll_fake = types.SimpleNamespace(conf=types.SimpleNamespace(nll_balancing=0.5, gamma_f=0.0),
                                 loss_fn=lambda a, d: gf_losses.NLLLoss.nll_loss(None, a, d))
side, _, side_terms = gf_losses.NLLLoss.forward(nll_fake, {"log_assignment": la}, data)
(grad_side,) = torch.autograd.grad(side.sum(), la)
out["loss/log_assignment"], out["loss/gt_matches0"], out["loss/gt_matches1"] = la.detach(), g0, g1
out["loss/joint/total"], out["loss/joint/grad"] = joint["total"].detach(), grad_joint
out["loss/joint/nll_pos"], out["loss/joint/nll_neg"] = joint["nll_pos"].detach(), joint["nll_neg"].detach()
out["loss/per_side/total"], out["loss/per_side/grad"] = side.detach(), grad_side
out["loss/per_side/nll_neg"] = side_terms["nll_neg"].detach()

with h5py.File(os.path.join(HERE, "models_superglue.h5"), "w") as f:
    for k, v in out.items():
        f[k] = v.detach().numpy()
print("wrote", len(out), "datasets; train loss", out["train/loss/total"].tolist(),
      "eval matches", [int((out[f"eval/{p}/matches0"] >= 0).sum()) for p in range(2)])
