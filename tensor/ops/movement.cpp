#include "tensor/ops/movement.h"

#include <algorithm>
#include <string>

#include "tensor/cuda/movement.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp {

namespace {
std::string list_str(const std::vector<int64_t>& v) {  // "[1, 2, 3]" (may exceed kMaxRank)
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  SP_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors, got 0 tensors");
  // PyTorch skips 1-D empty tensors when other tensors have a different rank.
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) {
    check_defined(t, "cat");
    if (!(t.dim() == 1 && t.numel() == 0)) parts.push_back(t);
  }
  if (parts.empty()) return tensors.front().clone();
  const Tensor& ref = parts.front();
  const int d = wrap_dim(dim, ref.dim(), "cat");
  Shape out_shape = ref.shape();
  out_shape[d] = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const Tensor& t = parts[k];
    SP_CHECK(t.dtype() == ref.dtype(), "cat: expected every tensor of dtype ", ref.dtype(),
             ", got ", t.dtype(), " for tensor ", k);
    check_same_device(ref, t, "cat");
    SP_CHECK(t.dim() == ref.dim(), "cat: expected tensors of rank ", ref.dim(), " like ",
             ref.shape(), ", got ", t.shape(), " for tensor ", k);
    for (int i = 0; i < t.dim(); ++i)
      SP_CHECK(i == d || t.shape()[i] == ref.shape()[i],
               "cat: expected sizes to match except in dim ", d, ", got ", ref.shape(), " and ",
               t.shape(), " for tensor ", k);
    out_shape[d] += t.shape()[d];
  }
  Tensor out = empty(out_shape, ref.dtype(), ref.device());
  int64_t at = 0;
  for (const Tensor& t : parts) {  // copy_into runs the CPU or the CUDA copy kernel
    copy_into(out.narrow(d, at, t.shape()[d]), t);
    at += t.shape()[d];
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  SP_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors, got 0 tensors");
  check_defined(tensors.front(), "stack");
  const Shape& s0 = tensors.front().shape();
  const int d = wrap_dim(dim, s0.rank() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t k = 0; k < tensors.size(); ++k) {
    check_defined(tensors[k], "stack");
    SP_CHECK(tensors[k].shape() == s0, "stack: expected each tensor to have shape ", s0, ", got ",
             tensors[k].shape(), " for tensor ", k);
    parts.push_back(tensors[k].unsqueeze(d));
  }
  return cat(parts, d);
}

std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim) {
  check_defined(t, "split");
  const int d = wrap_dim(dim, t.dim(), "split");
  const int64_t n = t.shape()[d];
  SP_CHECK(split_size > 0 || (split_size == 0 && n == 0),
           "split: expected a positive split_size, got ", split_size, " for dim ", d, " of ",
           t.shape());
  std::vector<Tensor> out;
  if (n == 0) return {t};
  for (int64_t at = 0; at < n; at += split_size)
    out.push_back(t.narrow(d, at, std::min(split_size, n - at)));
  return out;
}

std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim) {
  check_defined(t, "split");
  const int d = wrap_dim(dim, t.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    SP_CHECK(s >= 0, "split: expected non-negative sizes, got ", list_str(sizes));
    total += s;
  }
  SP_CHECK(total == t.shape()[d], "split: expected sizes summing to ", t.shape()[d], " (dim ", d,
           " of ", t.shape(), "), got ", list_str(sizes), " summing to ", total);
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(t.narrow(d, at, s));
    at += s;
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  check_defined(t, "chunk");
  SP_CHECK(chunks > 0, "chunk: expected a positive number of chunks, got ", chunks);
  const int d = wrap_dim(dim, t.dim(), "chunk");
  const int64_t n = t.shape()[d];
  const int64_t size = (n + chunks - 1) / chunks;
  if (size == 0) return std::vector<Tensor>(size_t(chunks), t);  // PyTorch: `chunks` empty views
  return split(t, size, d);
}

Tensor pad(const Tensor& t, const std::vector<int64_t>& pads, PadMode mode, double value) {
  check_defined(t, "pad");
  SP_CHECK(pads.size() % 2 == 0 && int(pads.size()) / 2 <= t.dim(),
           "pad: expected an even number of pads, at most ", 2 * t.dim(), " for a tensor of shape ",
           t.shape(), ", got ", pads.size());
  const int padded = int(pads.size()) / 2;
  std::vector<int64_t> before(t.dim(), 0), after(t.dim(), 0);
  Shape out_shape = t.shape();
  for (int k = 0; k < padded; ++k) {
    const int d = t.dim() - 1 - k;
    before[d] = pads[2 * k];
    after[d] = pads[2 * k + 1];
    out_shape[d] += before[d] + after[d];
    SP_CHECK(out_shape[d] >= 0, "pad: expected a non-negative output size, got ", out_shape[d],
             " in dim ", d, " padding ", t.shape(), " with ", list_str(pads));
  }
  if (mode == PadMode::Constant) {
    Tensor out = full(out_shape, value, t.dtype(), t.device());
    // Negative pads crop: copy the overlap of input and output.
    Tensor src = t, dst = out;
    for (int d = 0; d < t.dim(); ++d) {
      const int64_t skip_src = std::max<int64_t>(0, -before[d]),
                    skip_dst = std::max<int64_t>(0, before[d]);
      const int64_t len = t.shape()[d] - skip_src - std::max<int64_t>(0, -after[d]);
      if (len <= 0) return out;
      src = src.narrow(d, skip_src, len);
      dst = dst.narrow(d, skip_dst, len);
    }
    copy_into(dst, src);
    return out;
  }
  const char* mode_name = mode == PadMode::Reflect ? "reflect" : "replicate";
  SP_CHECK(padded <= 3 && padded < t.dim(), "pad: expected ", mode_name,
           " padding of at most the last 3 dims and not the first dim, got ", padded, " dims for ",
           t.shape());
  for (int d = 0; d < t.dim(); ++d) {
    if (before[d] == 0 && after[d] == 0) continue;
    SP_CHECK(before[d] >= 0 && after[d] >= 0, "pad: expected non-negative pads for ", mode_name,
             " mode, got ", list_str(pads));
    if (mode == PadMode::Reflect)
      SP_CHECK(before[d] < t.shape()[d] && after[d] < t.shape()[d], "pad: expected ", mode_name,
               " pads smaller than the size ", t.shape()[d], " of dim ", d, " of ", t.shape(),
               ", got ", list_str(pads));
    else
      SP_CHECK(t.shape()[d] > 0, "pad: expected a non-empty dim ", d, " for replicate mode, got ",
               t.shape());
  }
  Tensor out = empty(out_shape, t.dtype(), t.device());
  if (out.numel() == 0) return out;
  (t.is_cuda() ? cuda::pad_edges : cpu::pad_edges)(out, t, before, mode);
  return out;
}

namespace {
void check_shuffle_input(const Tensor& t, int64_t r, const char* what) {
  check_defined(t, what);
  SP_CHECK(r > 0, what, ": expected a positive factor, got ", r);
  SP_CHECK(t.dim() >= 3, what, ": expected a tensor of rank >= 3 ([*, C, H, W]), got ", t.shape());
}
}  // namespace

// Both are a reshape + permute + copy; copy_into runs on the tensor's device.
Tensor pixel_shuffle(const Tensor& t, int64_t r) {
  check_shuffle_input(t, r, "pixel_shuffle");
  const int n = t.dim();
  const int64_t c = t.size(-3), h = t.size(-2), w = t.size(-1);
  SP_CHECK(c % (r * r) == 0, "pixel_shuffle: expected channels divisible by ", r * r, " (factor ",
           r, " squared), got ", c, " in ", t.shape());
  Shape batch;
  for (int i = 0; i < n - 3; ++i) batch.push_back(t.shape()[i]);
  Shape split = batch;  // [*, C, r, r, H, W]
  for (int64_t v : {c / (r * r), r, r, h, w}) split.push_back(v);
  std::vector<int64_t> perm;
  for (int i = 0; i < n - 3; ++i) perm.push_back(i);
  const int64_t b = n - 3;  // -> [*, C, H, r, W, r]
  for (int64_t v : {b, b + 3, b + 1, b + 4, b + 2}) perm.push_back(v);
  Shape out_shape = batch;
  for (int64_t v : {c / (r * r), h * r, w * r}) out_shape.push_back(v);
  return t.reshape(split).permute(perm).contiguous().view(out_shape);
}

Tensor pixel_unshuffle(const Tensor& t, int64_t r) {
  check_shuffle_input(t, r, "pixel_unshuffle");
  const int n = t.dim();
  const int64_t c = t.size(-3), h = t.size(-2), w = t.size(-1);
  SP_CHECK(h % r == 0 && w % r == 0, "pixel_unshuffle: expected height and width divisible by ", r,
           ", got ", t.shape());
  Shape batch;
  for (int i = 0; i < n - 3; ++i) batch.push_back(t.shape()[i]);
  Shape split = batch;  // [*, C, H/r, r, W/r, r]
  for (int64_t v : {c, h / r, r, w / r, r}) split.push_back(v);
  std::vector<int64_t> perm;
  for (int i = 0; i < n - 3; ++i) perm.push_back(i);
  const int64_t b = n - 3;  // -> [*, C, r, r, H/r, W/r]
  for (int64_t v : {b, b + 2, b + 4, b + 1, b + 3}) perm.push_back(v);
  Shape out_shape = batch;
  for (int64_t v : {c * r * r, h / r, w / r}) out_shape.push_back(v);
  return t.reshape(split).permute(perm).contiguous().view(out_shape);
}

}  // namespace sp
