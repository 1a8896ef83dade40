#include "autograd/functions/conv.h"

#include "autograd/node.h"
#include "tensor/cuda/fused.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp::ag {

Var conv2d(const Var& x, const Var& w, const Var& b, const Conv2dArgs& args) {
  SP_CHECK(x.dim() == 4, "conv2d: expected a batched input [N, C, H, W] for autograd, got ",
           x.shape());
  Tensor out = sp::conv2d(x.data(), w.data(), b.defined() ? b.data() : Tensor(), args);
  return make_result("conv2d", out, {x, w, b}, {x.data(), w.data()}, [args](const BackwardArgs& a) {
    const Tensor& g = a.grad();
    std::vector<Tensor> grads(3);
    if (a.needs(0)) grads[0] = sp::conv2d_backward_input(g, a.inputs[0].shape, a.saved[1], args);
    if (a.needs(1)) grads[1] = sp::conv2d_backward_weight(g, a.saved[0], a.inputs[1].shape, args);
    if (a.needs(2)) grads[2] = sp::conv2d_backward_bias(g);
    return grads;
  });
}

namespace {
// grad * (out > 0) for relu's output `out`.
Tensor relu_grad(const Tensor& g, const Tensor& out) {
  return g.is_cuda() ? cuda::relu_backward(g, out) : sp::where(sp::gt(out, 0.0), g, Scalar(0.0));
}
}  // namespace

Var conv2d_relu(const Var& x, const Var& w, const Var& b, const Conv2dArgs& args) {
  SP_CHECK(x.dim() == 4, "conv2d_relu: expected a batched input [N, C, H, W] for autograd, got ",
           x.shape());
  Tensor out;
  if (x.data().is_cuda() && b.defined()) {
    out = sp::conv2d(x.data(), w.data(), Tensor(), args);
    SP_CHECK(b.dim() == 1 && b.shape()[0] == w.shape()[0] && b.data().dtype() == out.dtype(),
             "conv2d_relu: expected bias of shape [", w.shape()[0], "] and dtype ", out.dtype(),
             ", got ", b.data().meta());
    cuda::bias_relu(out, out, b.data(), /*relu=*/true);  // in place, one pass
  } else {
    out = sp::relu(sp::conv2d(x.data(), w.data(), b.defined() ? b.data() : Tensor(), args));
  }
  return make_result(
      "conv2d_relu", out, {x, w, b}, {x.data(), w.data(), out}, [args](const BackwardArgs& a) {
        std::vector<Tensor> grads(3);
        const Tensor& y = a.saved[2];
        Tensor g;
        if (a.grad().is_cuda() && a.needs(2)) {
          // One pass: the ReLU gradient and its per-channel sum (the bias gradient).
          Tensor go = a.grad().contiguous();
          g = empty(go.shape(), go.dtype(), go.device());
          grads[2] = empty({go.size(1)}, go.dtype(), go.device());
          cuda::relu_backward_channel_sum(g, grads[2], go, y.contiguous());
        } else {
          g = relu_grad(a.grad(), y);
          if (a.needs(2)) grads[2] = sp::conv2d_backward_bias(g);
        }
        if (a.needs(0))
          grads[0] = sp::conv2d_backward_input(g, a.inputs[0].shape, a.saved[1], args);
        if (a.needs(1))
          grads[1] = sp::conv2d_backward_weight(g, a.saved[0], a.inputs[1].shape, args);
        return grads;
      });
}

Var conv2d(const Var& x, const Var& w, const Var& b, std::array<int64_t, 2> stride,
           std::array<int64_t, 2> padding, std::array<int64_t, 2> dilation, int64_t groups) {
  return conv2d(x, w, b, Conv2dArgs{stride, padding, dilation, groups});
}

}  // namespace sp::ag
