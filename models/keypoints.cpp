#include "models/keypoints.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tensor/ops/creation.h"

namespace sp::models {

namespace {
Tensor host_f32(const Tensor& t) {
  return t.cpu().to(DType::F32).contiguous();
}
}  // namespace

Tensor detector_heatmap(const Tensor& logits) {
  check_rank(logits, 4, "detector_heatmap", "logits");
  SP_CHECK(logits.size(1) == kCell * kCell + 1,
           "detector_heatmap: expected 65 channels, got shape ", logits.shape());
  Tensor in = host_f32(logits);
  const int64_t B = in.size(0), Hc = in.size(2), Wc = in.size(3), C = in.size(1), plane = Hc * Wc;
  Tensor out = empty({B, Hc * kCell, Wc * kCell});
  const float* src = in.data<float>();
  float* dst = out.data<float>();
#pragma omp parallel for collapse(2) if (B * plane > 1024)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t cell = 0; cell < plane; ++cell) {
      const float* s = src + b * C * plane + cell;
      float mx = s[0];
      for (int64_t c = 1; c < C; ++c) mx = std::max(mx, s[c * plane]);
      float sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += std::exp(s[c * plane] - mx);
      const int64_t hc = cell / Wc, wc = cell % Wc;
      for (int64_t k = 0; k < kCell * kCell; ++k) {
        const int64_t y = hc * kCell + k / kCell, x = wc * kCell + k % kCell;
        dst[(b * Hc * kCell + y) * Wc * kCell + x] = std::exp(s[k * plane] - mx) / sum;
      }
    }
  }
  return out.to(logits.device());
}

Keypoints extract_keypoints(const Tensor& heatmap, const DetectOptions& o) {
  check_rank(heatmap, 2, "extract_keypoints", "heatmap");
  Tensor heat = host_f32(heatmap);
  const int64_t H = heat.size(0), W = heat.size(1);
  const float* h = heat.data<float>();
  std::vector<int64_t> cand;
  for (int64_t i = 0; i < H * W; ++i)
    if (h[i] >= o.threshold) cand.push_back(i);
  std::stable_sort(cand.begin(), cand.end(), [&](int64_t a, int64_t b) { return h[a] > h[b]; });
  // Grid NMS: a candidate survives unless a stronger kept one lies within radius.
  std::vector<uint8_t> suppressed(size_t(H * W), 0);
  std::vector<int64_t> kept;
  const int r = std::max(o.nms_radius, 0);
  for (int64_t i : cand) {
    if (suppressed[i]) continue;
    kept.push_back(i);
    if (r == 0) continue;
    const int64_t y = i / W, x = i % W;
    for (int64_t yy = std::max<int64_t>(0, y - r); yy <= std::min(H - 1, y + r); ++yy)
      for (int64_t xx = std::max<int64_t>(0, x - r); xx <= std::min(W - 1, x + r); ++xx)
        suppressed[yy * W + xx] = 1;
  }
  std::vector<float> xy, scores;
  for (int64_t i : kept) {
    const int64_t y = i / W, x = i % W;
    if (x < o.border || x >= W - o.border || y < o.border || y >= H - o.border) continue;
    if (o.top_k >= 0 && int64_t(scores.size()) >= o.top_k) break;
    xy.push_back(float(x));
    xy.push_back(float(y));
    scores.push_back(h[i]);
  }
  const int64_t n = int64_t(scores.size());
  return {from_vector(xy, {n, 2}).to(heatmap.device()),
          from_vector(scores, {n}).to(heatmap.device())};
}

Tensor sample_descriptors(const Tensor& descriptors, const Tensor& xy) {
  check_rank(descriptors, 3, "sample_descriptors", "descriptors");
  SP_CHECK(xy.dim() == 2 && xy.size(1) == 2,
           "sample_descriptors: expected keypoints of shape [N, 2], got ", xy.shape());
  Tensor d = host_f32(descriptors), p = host_f32(xy);
  const int64_t D = d.size(0), Hc = d.size(1), Wc = d.size(2), N = p.size(0);
  Tensor out = zeros({N, D});
  const float* dm = d.data<float>();
  const float* pts = p.data<float>();
  float* o = out.data<float>();
  for (int64_t n = 0; n < N; ++n) {
    const float u = std::clamp((pts[2 * n] - 3.5f) / kCell, 0.0f, float(Wc - 1));
    const float v = std::clamp((pts[2 * n + 1] - 3.5f) / kCell, 0.0f, float(Hc - 1));
    const int64_t x0 = int64_t(std::floor(u)), y0 = int64_t(std::floor(v));
    const int64_t x1 = std::min(x0 + 1, Wc - 1), y1 = std::min(y0 + 1, Hc - 1);
    const float ax = u - float(x0), ay = v - float(y0);
    double norm = 0;
    for (int64_t c = 0; c < D; ++c) {
      const float* m = dm + c * Hc * Wc;
      const float val = (1 - ay) * ((1 - ax) * m[y0 * Wc + x0] + ax * m[y0 * Wc + x1]) +
                        ay * ((1 - ax) * m[y1 * Wc + x0] + ax * m[y1 * Wc + x1]);
      o[n * D + c] = val;
      norm += double(val) * val;
    }
    const float inv = float(1.0 / std::max(std::sqrt(norm), 1e-12));
    for (int64_t c = 0; c < D; ++c) o[n * D + c] *= inv;
  }
  return out.to(descriptors.device());
}

Tensor keypoint_map(const Tensor& xy, int64_t height, int64_t width) {
  SP_CHECK(xy.dim() == 2 && xy.size(1) == 2, "keypoint_map: expected points of shape [N, 2], got ",
           xy.shape());
  Tensor p = host_f32(xy);
  Tensor map = zeros({height, width});
  float* m = map.data<float>();
  const float* pts = p.data<float>();
  for (int64_t n = 0; n < p.size(0); ++n) {
    const int64_t x = std::clamp<int64_t>(std::lround(pts[2 * n]), 0, width - 1);
    const int64_t y = std::clamp<int64_t>(std::lround(pts[2 * n + 1]), 0, height - 1);
    m[y * width + x] = 1.0f;
  }
  return map;
}

Tensor cell_targets(const Tensor& kmap) {
  check_rank(kmap, 2, "cell_targets", "keypoint map");
  const int64_t H = kmap.size(0), W = kmap.size(1);
  SP_CHECK(H % kCell == 0 && W % kCell == 0,
           "cell_targets: expected a map whose sides are multiples of 8, got ", kmap.shape());
  Tensor m = host_f32(kmap);
  const int64_t Hc = H / kCell, Wc = W / kCell, plane = Hc * Wc;
  Tensor out = zeros({kCell * kCell + 1, Hc, Wc});
  const float* src = m.data<float>();
  float* dst = out.data<float>();
  for (int64_t hc = 0; hc < Hc; ++hc) {
    for (int64_t wc = 0; wc < Wc; ++wc) {
      float sum = 0;
      for (int64_t k = 0; k < kCell * kCell; ++k) {
        const float v = src[(hc * kCell + k / kCell) * W + wc * kCell + k % kCell];
        dst[k * plane + hc * Wc + wc] = v;
        sum += v;
      }
      const float dustbin = (1.0f - sum) < 1.0f ? 0.0f : 1.0f;  // 1 only for empty cells
      dst[kCell * kCell * plane + hc * Wc + wc] = dustbin;
      const float total = sum + dustbin;
      for (int64_t k = 0; k <= kCell * kCell; ++k) dst[k * plane + hc * Wc + wc] /= total;
    }
  }
  return out;
}

}  // namespace sp::models
