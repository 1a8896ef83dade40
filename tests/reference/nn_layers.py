"""Golden values for the nn layers and losses (tests/nn/layers_golden_test.cpp,
tests/nn/loss_test.cpp): inputs, parameters, outputs and gradients from PyTorch.
Gradients are of sum(out * g) for a random upstream g. Run with /usr/bin/python3."""
import os

import h5py
import torch
import torch.nn.functional as F

torch.manual_seed(0)
here = os.path.dirname(os.path.abspath(__file__))
out = {}


def put(prefix, **tensors):
    for k, v in tensors.items():
        out[prefix + "/" + k] = v.detach().contiguous().numpy().copy()  # grads accumulate in place


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_()


def backprop(y):
    g = torch.randn_like(y)
    (y * g).sum().backward()
    return g


# Linear over a batched [2, 4, 5] input.
lin = torch.nn.Linear(5, 3)
x = leaf(2, 4, 5)
y = lin(x)
g = backprop(y)
put("linear", x=x, weight=lin.weight, bias=lin.bias, y=y, g=g, gx=x.grad, gw=lin.weight.grad, gb=lin.bias.grad)

# Activations.
for name, fn in [("gelu", F.gelu), ("leaky_relu", lambda t: F.leaky_relu(t, 0.2))]:
    x = leaf(3, 7, scale=2.0)
    y = fn(x)
    g = backprop(y)
    put(name, x=x, y=y, g=g, gx=x.grad)

# LayerNorm over the trailing [4, 5] with non-trivial affine parameters.
ln = torch.nn.LayerNorm([4, 5])
with torch.no_grad():
    ln.weight.copy_(torch.randn(4, 5))
    ln.bias.copy_(torch.randn(4, 5))
x = leaf(2, 3, 4, 5, scale=3.0)
y = ln(x)
g = backprop(y)
put("layer_norm", x=x, weight=ln.weight, bias=ln.bias, y=y, g=g, gx=x.grad, gw=ln.weight.grad, gb=ln.bias.grad)

# BatchNorm2d: two training steps (running stats, num_batches_tracked), then eval.
for name, momentum in [("batch_norm", 0.1), ("batch_norm_cumulative", None)]:
    bn = torch.nn.BatchNorm2d(3, momentum=momentum)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(3))
        bn.bias.copy_(torch.randn(3))
    put(name, weight=bn.weight, bias=bn.bias)
    x1 = torch.randn(4, 3, 5, 6) * 2 + 1
    bn(x1)
    x2 = leaf(2, 3, 4, 5, scale=1.5)
    y2 = bn(x2)
    g2 = backprop(y2)
    put(name, x1=x1, x2=x2, y2=y2, g2=g2, gx2=x2.grad, gw=bn.weight.grad, gb=bn.bias.grad,
        running_mean=bn.running_mean, running_var=bn.running_var, num_batches_tracked=bn.num_batches_tracked)
    bn.eval()
    x3 = leaf(2, 3, 3, 3)
    y3 = bn(x3)
    g3 = backprop(y3)
    put(name, x3=x3, y3=y3, g3=g3, gx3=x3.grad)

# cross_entropy over [N, C, H, W] with class weights and ignore_index, every reduction.
logits = leaf(2, 4, 3, 3, scale=2.0)
target = torch.randint(0, 4, (2, 3, 3))
target[0, 0, 1] = -1
target[1, 2, 2] = -1
weight = torch.rand(4) + 0.5
mask = (torch.rand(2, 3, 3) > 0.3).float()
put("ce", logits=logits, target=target, weight=weight, mask=mask)
for red in ["none", "sum", "mean"]:
    logits.grad = None
    y = F.cross_entropy(logits, target, weight=weight, ignore_index=-1, reduction=red)
    g = backprop(y)
    put("ce", **{"y_" + red: y, "g_" + red: g, "gx_" + red: logits.grad})
# Masked mean: sum(w_y * mask * l) / sum(w_y * mask) over non-ignored elements.
logits.grad = None
per = F.cross_entropy(logits, target, weight=weight, ignore_index=-1, reduction="none")
wy = weight[target.clamp(min=0)] * (target != -1).float()
y = (per * mask).sum() / (wy * mask).sum()
y.backward()
put("ce", y_masked=y, gx_masked=logits.grad)
# Plain [N, C] without weights.
logits2 = leaf(5, 3)
target2 = torch.tensor([0, 2, 1, 2, 0])
y = F.cross_entropy(logits2, target2)
y.backward()
put("ce2d", logits=logits2, target=target2, y=y, gx=logits2.grad)

# binary_cross_entropy_with_logits with pos_weight and weight; large logits for stability.
x = leaf(4, 3, scale=3.0)
with torch.no_grad():
    x[0, 0] = 40.0
    x[1, 1] = -40.0
    x[2, 2] = 0.0
t = torch.tensor([[1, 0, 1], [0, 1, 0.5], [1, 1, 0], [0.25, 0, 1]], dtype=torch.float32)
pos_weight = torch.tensor([2.0, 0.5, 3.0])
w = torch.rand(4, 3) + 0.5
put("bce", x=x, t=t, pos_weight=pos_weight, w=w)
for name, kw in [("plain", {}), ("pos", {"pos_weight": pos_weight, "weight": w})]:
    for red in ["none", "mean", "sum"]:
        x.grad = None
        y = F.binary_cross_entropy_with_logits(x, t, reduction=red, **kw)
        g = backprop(y)
        put("bce", **{f"y_{name}_{red}": y, f"g_{name}_{red}": g, f"gx_{name}_{red}": x.grad})

# F.normalize along dim 1 (a zero row checks eps).
x = leaf(2, 5, 3)
with torch.no_grad():
    x[1, :, 2] = 0
y = F.normalize(x, dim=1)
g = backprop(y)
put("normalize", x=x, y=y, g=g, gx=x.grad)


# The small conv net of nn_pth.py loaded from its .pth fixture, in eval mode:
# fc(relu(bn1(conv1(x))).mean((2, 3))).
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4, 2)


net = Net()
net.load_state_dict(torch.load(os.path.join(here, "fixtures", "nn_pth_zip.pth")))
net.eval()
x = torch.randn(2, 3, 6, 5)
y = net.fc(F.relu(net.bn1(net.conv1(x))).mean((2, 3)))
put("net", x=x, y=y)

with h5py.File(os.path.join(here, "fixtures", "nn_layers.h5"), "w") as f:
    for k, v in sorted(out.items()):
        f.create_dataset(k, data=v)
