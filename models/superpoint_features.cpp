// SuperPoint as an Extractor (models/extractor.h), and its training metrics and
// summary picture: everything that turns SuperPoint's maps into keypoint sets.
#include <algorithm>

#include "autograd/grad_mode.h"
#include "data/pictures.h"
#include "models/superpoint.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/random.h"

namespace sp::models {

namespace {

// Detections of images of size H x W as padded features (random padding with `force`).
features::Features to_features(std::vector<Detections> dets, int64_t H, int64_t W,
                               const SuperPointConfig& c, const Tensor& descriptor_maps,
                               Device device) {
  std::vector<features::ImageFeatures> images;
  for (size_t b = 0; b < dets.size(); ++b) {
    Detections& d = dets[b];
    const int64_t missing = c.force_num_keypoints ? c.top_k - d.keypoints.size(0) : 0;
    if (missing > 0) {
      // Glue Factory's force_num_keypoints: uniform random positions in the image, score
      // 0, descriptors sampled there; they count as real keypoints.
      Tensor xy = rand({missing, 2}, DType::F32, d.keypoints.device());
      xy = xy * from_vector<float>({float(W - 1), float(H - 1)}, Shape{1, 2}).to(xy.device());
      d.keypoints = cat({d.keypoints, xy}, 0);
      d.scores = cat({d.scores, zeros({missing}, DType::F32, d.scores.device())}, 0);
      if (descriptor_maps.defined())
        d.descriptors =
            sample_descriptors_device(descriptor_maps.select(0, int64_t(b)), d.keypoints);
    }
    features::ImageFeatures f;
    f.keypoints = d.keypoints;
    f.scores = d.scores;
    f.descriptors = d.descriptors;
    f.width = W;
    f.height = H;
    images.push_back(f);
  }
  const int64_t length = c.force_num_keypoints ? c.top_k : 0;
  return features::pad(images, length, device);
}

// Number of points of `a` [N, 2] with a point of `b` [M, 2] within `dist` (CPU, f32).
int64_t count_within(const Tensor& a, const Tensor& b, double dist) {
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  int64_t count = 0;
  for (int64_t i = 0; i < a.size(0); ++i) {
    for (int64_t j = 0; j < b.size(0); ++j) {
      const double dx = pa[2 * i] - pb[2 * j], dy = pa[2 * i + 1] - pb[2 * j + 1];
      if (dx * dx + dy * dy <= dist * dist) {
        ++count;
        break;
      }
    }
  }
  return count;
}

}  // namespace

features::Features SuperPoint::extract(const Tensor& images) {
  ag::NoGradGuard no_grad;
  SP_CHECK(images.dim() == 4 && images.size(1) == 1, type_name(),
           ": expected gray images [B, 1, H, W], got ", images.shape());
  auto [logits, desc] = forward_image(ag::Var(images));
  Predictions pred("predictions");
  pred.set("logits", logits);
  if (desc.defined()) pred.set("descriptors", desc);
  return features_of(pred, images);
}

features::Features SuperPoint::features_of(const Predictions& pred, const Tensor& images) {
  ag::NoGradGuard no_grad;
  const Tensor desc = pred.has("descriptors") ? pred.at("descriptors").data() : Tensor();
  return to_features(detect(pred), images.size(2), images.size(3), config_, desc, images.device());
}

std::map<std::string, double> SuperPoint::metrics(const Predictions& pred, const Batch& batch) {
  ag::NoGradGuard no_grad;
  std::map<std::string, double> out;
  std::vector<Detections> dets =
      models::detect(pred.at("logits").data(), Tensor(), config_.detect_config());
  Tensor labels = batch.at("labels_2D").cpu();
  int64_t predicted = 0, labelled = 0, correct = 0, found = 0;
  for (size_t b = 0; b < dets.size(); ++b) {
    Tensor pts = dets[b].keypoints.cpu().contiguous();
    Tensor yx = nonzero(gt(labels.select(0, int64_t(b)).select(0, 0), Scalar(0.0)));
    Tensor gt_xy = stack({yx.select(1, 1), yx.select(1, 0)}, 1).to(DType::F32).contiguous();
    predicted += pts.size(0);
    labelled += gt_xy.size(0);
    correct += count_within(pts, gt_xy, config_.metrics_distance);
    found += count_within(gt_xy, pts, config_.metrics_distance);
  }
  out["precision"] = predicted > 0 ? double(correct) / double(predicted) : 0.0;
  out["recall"] = labelled > 0 ? double(found) / double(labelled) : 0.0;
  return out;
}

Tensor SuperPoint::summary_image(const Predictions& pred, const Batch& batch, int64_t max_images) {
  if (max_images <= 0 || !batch.has("image")) return Tensor();
  std::vector<Detections> dets = detect(pred);
  const Tensor images = batch.at("image").cpu();
  const int64_t n = std::min<int64_t>(max_images, images.size(0));
  std::vector<Tensor> pictures;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor truth =
        batch.has("labels_2D") ? data::label_points(batch.at("labels_2D").select(0, i)) : Tensor();
    pictures.push_back(data::draw_keypoints(images.select(0, i), dets[size_t(i)].keypoints, truth));
  }
  return data::tile(pictures, std::min<int64_t>(n, 4));
}

}  // namespace sp::models
