#include "autograd/functions/sample.h"

#include "autograd/node.h"

namespace sp::ag {

Var grid_sample(const Var& input, const Var& grid, bool align_corners) {
  Tensor out = sp::grid_sample(input.data(), grid.data(), align_corners);
  return make_result("grid_sample", out, {input, grid}, {input.data(), grid.data()}, [align_corners](const BackwardArgs& a) {
    const Tensor& g = a.grad();
    std::vector<Tensor> grads(2);
    if (a.needs(0)) grads[0] = sp::grid_sample_backward_input(g, a.saved[1], a.inputs[0].shape, align_corners);
    if (a.needs(1)) grads[1] = sp::grid_sample_backward_grid(g, a.saved[0], a.saved[1], align_corners);
    return grads;
  });
}

Var interpolate(const Var& input, int64_t out_h, int64_t out_w, InterpMode mode, bool align_corners) {
  SP_CHECK(mode == InterpMode::Bilinear || !any_requires_grad({input}),
           "interpolate: expected mode Bilinear for a differentiable input, got Nearest; hint: nearest has no "
           "backward kernel yet, wrap the call in NoGradGuard or detach the input");
  Tensor out = sp::interpolate(input.data(), out_h, out_w, mode, align_corners);
  return make_result("interpolate", out, {input}, {}, [align_corners](const BackwardArgs& a) {
    return std::vector<Tensor>{sp::interpolate_bilinear_backward(a.grad(), a.inputs[0].shape, align_corners)};
  });
}

}  // namespace sp::ag
