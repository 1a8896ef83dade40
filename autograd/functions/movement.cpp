#include "autograd/functions/movement.h"

#include <algorithm>

#include "autograd/node.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/index.h"

namespace sp::ag {
namespace {

std::vector<Tensor> datas(const std::vector<Var>& vars) {
  std::vector<Tensor> out;
  for (const Var& v : vars) out.push_back(v.data());
  return out;
}

// Multi-output split: the gradient is the outputs' gradients put back together.
std::vector<Var> split_outputs(const char* name, std::vector<Tensor> pieces, const Var& x,
                               int64_t dim) {
  int d = wrap_dim(dim, x.dim(), name);
  return make_results(name, std::move(pieces), {x}, {}, [d](const BackwardArgs& a) {
    return std::vector<Tensor>{sp::cat(a.grad_outputs, d)};
  });
}

// For a reflect/replicate padded dim of `size` elements: the source index of each of its
// before + size + after output positions (the forward is separable per dim).
Tensor edge_sources(int64_t size, int64_t before, int64_t after, PadMode mode, Device device) {
  std::vector<int64_t> sources;
  for (int64_t i = -before; i < size + after; ++i) {
    int64_t j = std::clamp<int64_t>(i, 0, size - 1);  // replicate
    if (mode == PadMode::Reflect)
      j = i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;  // edge not repeated
    sources.push_back(j);
  }
  return from_vector(sources, {int64_t(sources.size())}).to(device);
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
  Tensor out = sp::pad(x.data(), pads, mode, value);  // validates the arguments
  if (mode == PadMode::Constant) {
    std::vector<int64_t> crop(pads.size());
    for (size_t i = 0; i < pads.size(); ++i) crop[i] = -pads[i];
    return make_result("pad", out, {x}, {}, [crop](const BackwardArgs& a) {
      return std::vector<Tensor>{sp::pad(a.grad(), crop)};
    });
  }
  // Reflect / replicate: index_add along each padded dim sums the positions sharing a source.
  std::vector<int> dims;
  std::vector<Tensor> sources;
  for (size_t k = 0; any_requires_grad({x}) && 2 * k < pads.size(); ++k) {
    if (pads[2 * k] == 0 && pads[2 * k + 1] == 0) continue;
    const int d = x.dim() - 1 - int(k);
    dims.push_back(d);
    sources.push_back(
        edge_sources(x.data().size(d), pads[2 * k], pads[2 * k + 1], mode, x.device()));
  }
  return make_result("pad", out, {x}, sources, [dims](const BackwardArgs& a) {
    Tensor g = a.grad();
    for (size_t i = 0; i < dims.size(); ++i) {
      Shape folded = g.shape();
      folded[dims[i]] = a.inputs[0].shape[dims[i]];
      g = sp::index_add(zeros(folded, g.dtype(), g.device()), dims[i], a.saved[i], g);
    }
    return std::vector<Tensor>{g};
  });
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
