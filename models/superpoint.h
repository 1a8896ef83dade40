// SuperPoint and MagicPoint (superpoint.md section 4): a VGG-style encoder at 1/8
// resolution, a detector head with 65 logits per 8x8 cell (64 positions + dustbin) and,
// for SuperPoint, a descriptor head with L2-normalised coarse descriptors.
//
// Two normalisation variants (spec 4.2, 10.1 item 14):
//  - batch_norm = false: [ML]'s SuperPointNet (conv -> ReLU), parameter names of the
//    official superpoint_v1.pth (conv1a.weight ... convDb.bias), so it loads by name.
//  - batch_norm = true: [PS]'s SuperPointNet_gauss2 (conv -> BN -> ReLU, BN also on the
//    logits and the raw descriptors), with its names (inc.conv.conv.0.weight,
//    down1.mpconv.1.conv.1.running_mean, convPa/bnPa ... convDb/bnDb), so [PS] training
//    checkpoints load by name. Module::eval() switches BN to the running statistics (the
//    standard behaviour); [PS] never did, so its validation and export used batch
//    statistics (spec 7.1, 10.1 item 13): keep train mode to reproduce that.
#pragma once

#include <string>

#include "models/extractor.h"
#include "models/keypoints.h"
#include "models/model.h"
#include "models/superpoint_detect.h"
#include "models/superpoint_loss.h"

namespace sp::models {

struct SuperPointConfig {
  bool detector_only = false;  // true: MagicPoint (no descriptor head)
  bool batch_norm = false;     // false: [ML] layout; true: [PS] gauss2 layout
  int64_t descriptor_dim = 256;
  double width = 1.0;  // multiplies the encoder/head widths 64/128/256 (tiny test models)

  // Inference post-processing (spec 8): [ML] demo defaults.
  double detection_threshold = 0.015;
  int64_t nms_radius = 4;
  int64_t border = 4;
  int64_t top_k = -1;
  std::string nms = "maxpool";  // "maxpool" (on the device) or "grid" ([ML] grid NMS on the CPU)
  // extract(): pad every image to exactly top_k keypoints with random positions (score 0,
  // descriptors sampled there) that count as real, as Glue Factory's
  // force_num_keypoints; otherwise padding is masked out.
  bool force_num_keypoints = false;

  // Losses (spec 5).
  std::string detector_loss = "ce";  // "ce" or "bce" (see DetectorLossKind)
  double lambda_d = 250.0;
  double positive_margin = 1.0;
  double negative_margin = 0.2;
  double descriptor_dist = 7.5;       // px, [TF]'s cell size - 0.5
  double lambda_loss = 1.0;           // weight of the descriptor loss in the total ([PS] 1)
  int64_t descriptor_chunk_rows = 0;  // 0 = automatic
  double metrics_distance = 2.0;      // px, a detection matches a label within this distance

  // Reads every key above from the model table; missing keys keep their defaults.
  static SuperPointConfig from(ConfigView& config, bool detector_only);
  DetectConfig detect_config() const;
  DescriptorLossOptions descriptor_loss_options() const;
};

// Batch keys (data/datasets.h, stacked by the loader):
//   "image" [B, 1, H, W] in [0, 1], H and W multiples of 8 (required);
//   for the losses "labels_2D" [B, 1, H, W] (0/1 keypoint map), optional "valid_mask";
//   for joint training (SuperPoint with "warped_image" present): "warped_image",
//   "warped_labels", optional "warped_valid_mask", and "homography" [B, 3, 3] (image ->
//   warped pixel frame).
// Predictions: "logits" [B, 65, H/8, W/8], "descriptors" [B, D, H/8, W/8] (SuperPoint),
// and with "warped_image": "warped_logits", "warped_descriptors".
class SuperPoint : public Extractor {
 public:
  explicit SuperPoint(SuperPointConfig config);

  const SuperPointConfig& config() const { return config_; }
  std::vector<std::string> required_keys() const override { return {"image"}; }
  Predictions forward(const Batch& batch) override;
  // Logits and (SuperPoint) descriptors of images [B, 1, H, W].
  std::pair<ag::Var, ag::Var> forward_image(const ag::Var& image);
  // MagicPoint: detector loss of "image". SuperPoint: detector losses of both images
  // plus lambda_loss * descriptor loss when "warped_image" was forwarded.
  Losses loss(const Predictions& pred, const Batch& batch) override;
  // "precision" and "recall" of the detections (config post-processing) against
  // "labels_2D" within metrics_distance px, pooled over the batch.
  std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) override;
  // Detections (red) over the "labels_2D" points (green) of the first images.
  Tensor summary_image(const Predictions& pred, const Batch& batch, int64_t max_images) override;
  // Keypoints, scores and descriptors per image, with the config's post-processing.
  std::vector<Detections> detect(const Predictions& pred) const;

  // Extractor (models/extractor.h), in superpoint_features.cpp.
  features::Features extract(const Tensor& images) override;
  features::Features features_of(const Predictions& pred, const Tensor& images) override;
  double detection_threshold() const override { return config_.detection_threshold; }
  bool has_descriptors() const override { return !config_.detector_only; }
  int64_t descriptor_dim() const override {
    return config_.detector_only ? 0 : config_.descriptor_dim;
  }
  int64_t input_channels() const override { return 1; }
  int64_t image_size_multiple() const override { return kCell; }

 private:
  ag::Var encode(const ag::Var& x);

  SuperPointConfig config_;
  std::shared_ptr<nn::Module> encoder_;  // batch_norm: the gauss2 blocks
};

}  // namespace sp::models
