#include "models/disk_detect.h"

#include <algorithm>

#include "tensor/check.h"
#include "tensor/ops/creation.h"

namespace sp::models {

namespace detail {

void disk_maxima_mask_cpu(const Tensor& mask, const Tensor& heatmap, const MaximaGeometry& g) {
  const float* h = heatmap.data<float>();
  bool* m = mask.data<bool>();
  const int64_t rows = g.batch * g.padded_height;
#pragma omp parallel for schedule(static) if (rows * g.padded_width > (1 << 16))
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t b = r / g.padded_height, y = r % g.padded_height;
    const float* plane = h + b * g.padded_height * g.padded_width;
    bool* out = m + r * g.padded_width;
    std::fill(out, out + g.padded_width, false);
    if (y < g.before || y + g.after >= g.height) continue;
    for (int64_t x = g.before; x + g.after < g.width; ++x) {
      const float v = plane[y * g.padded_width + x];
      if (!(v > g.threshold)) continue;
      bool strict = true;
      for (int64_t dy = -g.before; dy <= g.after && strict; ++dy) {
        const float* row = plane + (y + dy) * g.padded_width + x;
        for (int64_t dx = -g.before; dx <= g.after; ++dx) {
          if ((dy != 0 || dx != 0) && !(row[dx] < v)) {
            strict = false;
            break;
          }
        }
      }
      out[x] = strict;
    }
  }
}

}  // namespace detail

Tensor disk_maxima_mask(const Tensor& heatmap, int64_t window, double threshold, int64_t height,
                        int64_t width) {
  SP_CHECK(heatmap.defined() && heatmap.dim() == 4 && heatmap.size(1) == 1,
           "disk_maxima_mask: expected a heatmap [B, 1, H, W], got ",
           heatmap.defined() ? heatmap.shape() : Shape{});
  SP_CHECK(heatmap.dtype() == DType::F32, "disk_maxima_mask: expected an f32 heatmap, got ",
           heatmap.dtype());
  SP_CHECK(window >= 1, "disk_maxima_mask: expected a window of at least 1, got ", window);
  const int64_t B = heatmap.size(0), Hp = heatmap.size(2), Wp = heatmap.size(3);
  if (height < 0) height = Hp;
  if (width < 0) width = Wp;
  SP_CHECK(height <= Hp && width <= Wp, "disk_maxima_mask: expected an image region within the [",
           Hp, ", ", Wp, "] heatmap, got ", height, " x ", width);
  const Tensor h = heatmap.contiguous();
  Tensor mask = empty({B, Hp, Wp}, DType::Bool, h.device());
  const detail::MaximaGeometry g{
      B, Hp, Wp, height, width, (window - 1) / 2, window / 2, float(threshold)};
  if (mask.numel() == 0) return mask;
  if (h.is_cuda())
    detail::disk_maxima_mask_cuda(mask, h, g);
  else
    detail::disk_maxima_mask_cpu(mask, h, g);
  return mask;
}

std::vector<int64_t> top_n_in_order(const std::vector<float>& scores, int64_t n) {
  const int64_t count = int64_t(scores.size());
  std::vector<int64_t> keep;
  if (n <= 0 || count <= n) {
    keep.resize(size_t(count));
    for (int64_t i = 0; i < count; ++i) keep[size_t(i)] = i;
    return keep;
  }
  // The n-th largest score, then everything above it and the first tied ones.
  std::vector<float> sorted = scores;
  std::nth_element(sorted.begin(), sorted.begin() + (n - 1), sorted.end(), std::greater<float>());
  const float cut = sorted[size_t(n - 1)];
  int64_t above = 0;
  for (float s : scores) above += s > cut;
  int64_t tied_left = n - above;
  keep.reserve(size_t(n));
  for (int64_t i = 0; i < count; ++i) {
    const float s = scores[size_t(i)];
    if (s > cut || (s == cut && tied_left-- > 0)) keep.push_back(i);
  }
  return keep;
}

}  // namespace sp::models
