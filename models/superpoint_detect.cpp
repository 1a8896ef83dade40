#include "models/superpoint_detect.h"

#include <algorithm>

#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/pool.h"
#include "tensor/ops/reduce.h"
#include "tensor/ops/sample.h"
#include "tensor/ops/softmax.h"

namespace sp::models {

NmsKind nms_kind(const std::string& name) {
  if (name == "maxpool") return NmsKind::MaxPool;
  if (name == "grid") return NmsKind::Grid;
  SP_CHECK(false, "detect: expected nms \"maxpool\" or \"grid\", got \"", name, "\"");
  return NmsKind::MaxPool;
}

Tensor detector_probabilities(const Tensor& logits) {
  SP_CHECK(logits.dim() == 4 && logits.size(1) == kCell * kCell + 1,
           "detector_probabilities: expected logits [B, 65, Hc, Wc], got ", logits.shape());
  Tensor prob = softmax(logits, 1).narrow(1, 0, kCell * kCell);
  return pixel_shuffle(prob.contiguous(), kCell);
}

namespace {

Tensor window_max(const Tensor& x, int64_t r) {
  Pool2dArgs args;
  args.kernel = {2 * r + 1, 2 * r + 1};
  args.stride = {1, 1};
  args.padding = {r, r};
  return max_pool2d(x, args).values;
}

// Bool [B, 1, H, W]: the pixels simple_nms keeps.
Tensor maxpool_nms_mask(const Tensor& heat, int64_t r) {
  Tensor keep = eq(heat, window_max(heat, r));
  for (int round = 0; round < 2; ++round) {
    Tensor suppressed = gt(window_max(keep.to(heat.dtype()), r), Scalar(0.0));
    Tensor rest = where(suppressed, Scalar(0.0), heat);
    Tensor new_max = eq(rest, window_max(rest, r));
    keep = logical_or(keep, logical_and(new_max, logical_not(suppressed)));
  }
  return keep;
}

void check_heatmap(const Tensor& heat, const char* what) {
  SP_CHECK(heat.dim() == 4 && heat.size(1) == 1, what, ": expected heatmaps [B, 1, H, W], got ",
           heat.shape());
}

// Keypoints of one heatmap [H, W] given the bool mask of candidates, by descending score.
Detections select_keypoints(const Tensor& heat, const Tensor& mask, int64_t top_k) {
  const int64_t W = heat.size(1);
  Tensor idx = nonzero(mask);  // [K, 2] (y, x), row-major
  Tensor y = idx.select(1, 0), x = idx.select(1, 1);
  Tensor flat = add(mul(y, Scalar(W)), x);
  Tensor scores = index_select(heat.reshape({-1}), 0, flat);
  const int64_t K = scores.size(0);
  const int64_t k = top_k >= 0 ? std::min(top_k, K) : K;
  ValuesIndices best = topk(scores, k, 0, true, true);
  Tensor xy =
      stack({index_select(x, 0, best.indices), index_select(y, 0, best.indices)}, 1).to(DType::F32);
  return {xy, best.values.to(DType::F32), Tensor()};
}

}  // namespace

Tensor maxpool_nms(const Tensor& heatmap, int64_t radius) {
  check_heatmap(heatmap, "maxpool_nms");
  SP_CHECK(radius >= 0, "maxpool_nms: expected a radius >= 0, got ", radius);
  if (radius == 0) return heatmap;
  return where(maxpool_nms_mask(heatmap, radius), heatmap, Scalar(0.0));
}

Tensor sample_descriptors_device(const Tensor& descriptors, const Tensor& xy) {
  check_rank(descriptors, 3, "sample_descriptors_device", "descriptors");
  SP_CHECK(xy.dim() == 2 && xy.size(1) == 2,
           "sample_descriptors_device: expected keypoints [N, 2], got ", xy.shape());
  const int64_t D = descriptors.size(0), Hc = descriptors.size(1), Wc = descriptors.size(2),
                N = xy.size(0);
  const Device device = descriptors.device();
  const DType dtype = descriptors.dtype();
  if (N == 0) return zeros({0, D}, dtype, device);
  Tensor p = xy.to(device, dtype);
  // u = (x - 3.5) / 8 clamped to [0, Wc - 1]; align_corners: g = 2u / (Wc - 1) - 1.
  auto to_grid = [](const Tensor& v, int64_t size) {
    Tensor u = clamp(div(sub(v, Scalar(3.5)), Scalar(double(kCell))), Scalar(0.0),
                     Scalar(double(size - 1)));
    return sub(mul(u, Scalar(2.0 / double(std::max<int64_t>(size - 1, 1)))), Scalar(1.0));
  };
  Tensor grid =
      stack({to_grid(p.select(1, 0), Wc), to_grid(p.select(1, 1), Hc)}, 1).view({1, 1, N, 2});
  Tensor out = grid_sample(descriptors.unsqueeze(0), grid, true).reshape({D, N}).t();
  return div(out, clamp(norm(out, 2.0, {1}, true), Scalar(1e-12), std::nullopt));
}

std::vector<Detections> detect(const Tensor& logits, const Tensor& descriptors,
                               const DetectConfig& config) {
  const DetectOptions& o = config.options;
  Tensor heat = detector_probabilities(logits);
  const int64_t B = heat.size(0), H = heat.size(2), W = heat.size(3);
  if (descriptors.defined())
    SP_CHECK(descriptors.dim() == 4 && descriptors.size(0) == B &&
                 descriptors.device() == logits.device(),
             "detect: expected descriptors [", B, ", D, Hc, Wc] on ", logits.device(), ", got ",
             descriptors.shape(), " on ", descriptors.device());
  std::vector<Detections> out;
  if (config.nms == NmsKind::Grid) {
    Tensor host = heat.cpu();
    for (int64_t b = 0; b < B; ++b) {
      Keypoints k = extract_keypoints(host.select(0, b).select(0, 0), o);
      out.push_back({k.xy.to(logits.device()), k.scores.to(logits.device()), Tensor()});
    }
  } else {
    Tensor mask = ge(heat, Scalar(double(o.threshold)));
    if (o.nms_radius > 0) mask = logical_and(mask, maxpool_nms_mask(heat, o.nms_radius));
    Tensor inside = zeros({H, W}, DType::Bool);
    const int64_t bh = std::max<int64_t>(H - 2 * o.border, 0),
                  bw = std::max<int64_t>(W - 2 * o.border, 0);
    if (bh > 0 && bw > 0) inside.narrow(0, o.border, bh).narrow(1, o.border, bw).fill_(1.0);
    mask = logical_and(mask, inside.to(heat.device()));
    for (int64_t b = 0; b < B; ++b)
      out.push_back(select_keypoints(heat.select(0, b).select(0, 0), mask.select(0, b).select(0, 0),
                                     o.top_k));
  }
  if (descriptors.defined())
    for (int64_t b = 0; b < B; ++b)
      out[b].descriptors = sample_descriptors_device(descriptors.select(0, b), out[b].keypoints);
  return out;
}

}  // namespace sp::models
