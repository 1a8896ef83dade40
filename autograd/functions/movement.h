// Differentiable movement ops (tensor/ops/movement.h): cat, stack, split, chunk, pad,
// pixel_shuffle / pixel_unshuffle.
#pragma once

#include <vector>

#include "autograd/var.h"
#include "tensor/ops/movement.h"

namespace sp::ag {

Var cat(const std::vector<Var>& vars, int64_t dim = 0);
Var stack(const std::vector<Var>& vars, int64_t dim = 0);
std::vector<Var> split(const Var& x, int64_t split_size, int64_t dim = 0);
std::vector<Var> split(const Var& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
std::vector<Var> chunk(const Var& x, int64_t chunks, int64_t dim = 0);
// Every mode carries a gradient: constant padding crops it back (negative pads: zero-pads
// it); reflect/replicate add each padded position's gradient into its source element.
Var pad(const Var& x, const std::vector<int64_t>& pads, PadMode mode = PadMode::Constant,
        double value = 0.0);
Var pixel_shuffle(const Var& x, int64_t upscale_factor);
Var pixel_unshuffle(const Var& x, int64_t downscale_factor);
inline Var depth_to_space(const Var& x, int64_t block) {
  return pixel_shuffle(x, block);
}
inline Var space_to_depth(const Var& x, int64_t block) {
  return pixel_unshuffle(x, block);
}

}  // namespace sp::ag
