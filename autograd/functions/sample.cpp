#include "autograd/functions/sample.h"

#include "autograd/node.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/index.h"

namespace sp::ag {
namespace {

// The source row (dim 2) or column (dim 3) nearest interpolate reads for each of its `out`
// outputs, read back from the forward op on an arange probe so that the backward agrees
// with the CPU or CUDA kernel exactly.
Tensor nearest_sources(int64_t in, int64_t out, int dim, Device device) {
  Tensor probe = sp::arange(in, DType::F64, device)
                     .reshape(dim == 2 ? Shape{1, 1, in, 1} : Shape{1, 1, 1, in});
  Tensor picked = dim == 2 ? sp::interpolate(probe, out, 1, InterpMode::Nearest)
                           : sp::interpolate(probe, 1, out, InterpMode::Nearest);
  return picked.reshape({out}).to(DType::I64);
}

}  // namespace

Var grid_sample(const Var& input, const Var& grid, bool align_corners) {
  Tensor out = sp::grid_sample(input.data(), grid.data(), align_corners);
  return make_result(
      "grid_sample", out, {input, grid}, {input.data(), grid.data()},
      [align_corners](const BackwardArgs& a) {
        const Tensor& g = a.grad();
        std::vector<Tensor> grads(2);
        if (a.needs(0))
          grads[0] =
              sp::grid_sample_backward_input(g, a.saved[1], a.inputs[0].shape, align_corners);
        if (a.needs(1))
          grads[1] = sp::grid_sample_backward_grid(g, a.saved[0], a.saved[1], align_corners);
        return grads;
      });
}

Var interpolate(const Var& input, int64_t out_h, int64_t out_w, InterpMode mode,
                bool align_corners) {
  Tensor out =
      sp::interpolate(input.data(), out_h, out_w, mode, align_corners);  // validates the arguments
  if (mode == InterpMode::Bilinear)
    return make_result("interpolate", out, {input}, {}, [align_corners](const BackwardArgs& a) {
      return std::vector<Tensor>{
          sp::interpolate_bilinear_backward(a.grad(), a.inputs[0].shape, align_corners)};
    });
  std::vector<Tensor> sources;
  if (any_requires_grad({input}))
    sources = {nearest_sources(input.data().size(2), out_h, 2, input.device()),
               nearest_sources(input.data().size(3), out_w, 3, input.device())};
  return make_result("interpolate", out, {input}, sources, [](const BackwardArgs& a) {
    // Separable: sum the columns into their sources, then the rows.
    const Shape& in = a.inputs[0].shape;
    const Tensor& g = a.grad();
    Tensor cols = sp::index_add(sp::zeros({in[0], in[1], g.size(2), in[3]}, g.dtype(), g.device()),
                                3, a.saved[1], g);
    return std::vector<Tensor>{
        sp::index_add(sp::zeros(in, g.dtype(), g.device()), 2, a.saved[0], cols)};
  });
}

}  // namespace sp::ag
