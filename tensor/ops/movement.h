// Movement ops: cat, stack, split, chunk, pad, pixel_shuffle / pixel_unshuffle
// (depth_to_space / space_to_depth). PyTorch semantics; dims may be negative.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace sp {

// torch.cat: tensors of equal rank and dtype on one device, equal sizes except along
// `dim`. Empty 1-D tensors of shape [0] are skipped like PyTorch's legacy rule.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
// torch.stack: equal shapes; inserts a new dim at `dim` (in [-rank-1, rank]).
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);

// torch.split: views of `split_size` along dim (the last one may be smaller).
std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim = 0);
// torch.split with a list of sizes (split_with_sizes): the sizes must sum to size(dim).
std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim = 0);
// torch.chunk: ceil(size / chunks) per view, so fewer than `chunks` views may come back.
std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim = 0);

enum class PadMode { Constant, Reflect, Replicate };
// torch.nn.functional.pad: `pads` lists (left, right) pairs starting from the LAST dim.
// Constant padding accepts negative pads (cropping). Reflect needs pad < size, Replicate
// needs size > 0 along padded dims; both pad at most the last 3 dims, pads >= 0.
Tensor pad(const Tensor& t, const std::vector<int64_t>& pads, PadMode mode = PadMode::Constant,
           double value = 0.0);

// torch.nn.functional.pixel_shuffle: [*, C*r*r, H, W] -> [*, C, H*r, W*r] with
// out[c, h*r + i, w*r + j] = in[c*r*r + i*r + j, h, w] (SuperPoint's depth-to-space).
Tensor pixel_shuffle(const Tensor& t, int64_t upscale_factor);
// torch.nn.functional.pixel_unshuffle: the inverse, [*, C, H*r, W*r] -> [*, C*r*r, H, W].
Tensor pixel_unshuffle(const Tensor& t, int64_t downscale_factor);
inline Tensor depth_to_space(const Tensor& t, int64_t block) {
  return pixel_shuffle(t, block);
}
inline Tensor space_to_depth(const Tensor& t, int64_t block) {
  return pixel_unshuffle(t, block);
}

namespace cpu {
// out = t padded with edge reflection (mode Reflect) or edge replication (Replicate);
// pads is (left, right) per dim from the first dim, one pair per dim of t.
void pad_edges(const Tensor& out, const Tensor& t, const std::vector<int64_t>& before,
               PadMode mode);
}  // namespace cpu

}  // namespace sp
