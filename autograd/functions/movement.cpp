#include "autograd/functions/movement.h"

#include "autograd/node.h"
#include "tensor/ops/creation.h"

namespace sp::ag {
namespace {

std::vector<Tensor> datas(const std::vector<Var>& vars) {
  std::vector<Tensor> out;
  for (const Var& v : vars) out.push_back(v.data());
  return out;
}

// Multi-output split: the gradient is the outputs' gradients put back together.
std::vector<Var> split_outputs(const char* name, std::vector<Tensor> pieces, const Var& x, int64_t dim) {
  int d = wrap_dim(dim, x.dim(), name);
  return make_results(name, std::move(pieces), {x}, {}, [d](const BackwardArgs& a) {
    return std::vector<Tensor>{sp::cat(a.grad_outputs, d)};
  });
}

}  // namespace

Var cat(const std::vector<Var>& vars, int64_t dim) {
  Tensor out = sp::cat(datas(vars), dim);
  int d = wrap_dim(dim, out.dim(), "cat");
  return make_result("cat", out, vars, {}, [d](const BackwardArgs& a) {
    std::vector<Tensor> grads(a.inputs.size());
    int64_t start = 0;
    for (size_t i = 0; i < a.inputs.size(); ++i) {
      const TensorMeta& m = a.inputs[i];
      if (m.shape.rank() != a.grad().dim()) {  // a skipped empty [0] input
        grads[i] = zeros(m.shape, a.grad().dtype(), a.grad().device());
        continue;
      }
      if (a.needs(i)) grads[i] = a.grad().narrow(d, start, m.shape[d]);
      start += m.shape[d];
    }
    return grads;
  });
}

Var stack(const std::vector<Var>& vars, int64_t dim) {
  Tensor out = sp::stack(datas(vars), dim);
  int d = wrap_dim(dim, out.dim(), "stack");
  return make_result("stack", out, vars, {}, [d](const BackwardArgs& a) {
    std::vector<Tensor> grads(a.inputs.size());
    for (size_t i = 0; i < grads.size(); ++i)
      if (a.needs(i)) grads[i] = a.grad().select(d, int64_t(i));
    return grads;
  });
}

std::vector<Var> split(const Var& x, int64_t split_size, int64_t dim) {
  return split_outputs("split", sp::split(x.data(), split_size, dim), x, dim);
}

std::vector<Var> split(const Var& x, const std::vector<int64_t>& sizes, int64_t dim) {
  return split_outputs("split", sp::split(x.data(), sizes, dim), x, dim);
}

std::vector<Var> chunk(const Var& x, int64_t chunks, int64_t dim) {
  return split_outputs("chunk", sp::chunk(x.data(), chunks, dim), x, dim);
}

Var pad(const Var& x, const std::vector<int64_t>& pads, PadMode mode, double value) {
  SP_CHECK(mode == PadMode::Constant || !any_requires_grad({x}),
           "pad: expected mode Constant for a differentiable input, got Reflect/Replicate; hint: their "
           "gradient is not implemented, wrap the call in NoGradGuard or detach the input");
  std::vector<int64_t> crop(pads.size());
  for (size_t i = 0; i < pads.size(); ++i) crop[i] = -pads[i];
  return make_result("pad", sp::pad(x.data(), pads, mode, value), {x}, {},
                     [crop](const BackwardArgs& a) { return std::vector<Tensor>{sp::pad(a.grad(), crop)}; });
}

Var pixel_shuffle(const Var& x, int64_t upscale_factor) {
  return make_result("pixel_shuffle", sp::pixel_shuffle(x.data(), upscale_factor), {x}, {},
                     [upscale_factor](const BackwardArgs& a) {
                       return std::vector<Tensor>{sp::pixel_unshuffle(a.grad(), upscale_factor)};
                     });
}

Var pixel_unshuffle(const Var& x, int64_t downscale_factor) {
  return make_result("pixel_unshuffle", sp::pixel_unshuffle(x.data(), downscale_factor), {x}, {},
                     [downscale_factor](const BackwardArgs& a) {
                       return std::vector<Tensor>{sp::pixel_shuffle(a.grad(), downscale_factor)};
                     });
}

}  // namespace sp::ag
