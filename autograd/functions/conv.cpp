#include "autograd/functions/conv.h"

#include "autograd/node.h"

namespace sp::ag {

Var conv2d(const Var& x, const Var& w, const Var& b, const Conv2dArgs& args) {
  SP_CHECK(x.dim() == 4, "conv2d: expected a batched input [N, C, H, W] for autograd, got ", x.shape());
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

Var conv2d(const Var& x, const Var& w, const Var& b, std::array<int64_t, 2> stride, std::array<int64_t, 2> padding,
           std::array<int64_t, 2> dilation, int64_t groups) {
  return conv2d(x, w, b, Conv2dArgs{stride, padding, dilation, groups});
}

}  // namespace sp::ag
