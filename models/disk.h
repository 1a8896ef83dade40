// DISK (matchers.md section 4 and its Corrections 9-13): a U-Net of 5x5 pre-activation
// convolution blocks (InstanceNorm -> PReLU -> conv) whose last layer gives D dense
// descriptor channels and one detection heatmap channel (logits) at full resolution.
//
//   down [16, 32, 64, 64, 64]: level 0 a plain conv 3 -> 16, levels 1..4 average-pool 2x2
//     then a block; up [64, 64, 64, D + 1]: bilinear x2 (align_corners false), concat
//     [upsampled, skip], a block.
//   Parameter names are those of kornia's DISK (the official depth-save.pth under the key
//   "extractor"): unet.path_down.{i}.1.{1: PReLU, 3: conv} (level 0: only .3),
//   unet.path_up.{i}.conv.{1, 3}.
//
// Inference (kornia 0.9.0's DISK.forward with pad_if_not_divisible): images [B, 3, H, W]
// in [0, 1] are zero-padded bottom/right to multiples of 16 (the instance-norm statistics
// include the padding), the maps cropped back; keypoints are the strict maxima of the
// heatmap over the full nms_window x nms_window window (ties and the border strip never
// are) scoring strictly above detection_threshold, in raster order; max_keypoints > 0
// keeps the strongest (ties at the cut in raster order); descriptors are the dense
// descriptors at the keypoints' pixels, L2-normalised. Scores are the heatmap logits.
// Training (the 8x8 cell categorical sampler and the policy-gradient reward) comes with
// the DISK training issue: loss() says so.
#pragma once

#include <string>
#include <vector>

#include "models/extractor.h"

namespace sp::models {

struct DiskConfig {
  int64_t descriptor_dim = 128;
  std::vector<int64_t> down{16, 32, 64, 64, 64};
  std::vector<int64_t> up{64, 64, 64};  // the last up block has descriptor_dim + 1 outputs
  int64_t kernel_size = 5;
  int64_t nms_window = 5;
  double detection_threshold = 0.0;  // logits; keep scores strictly above
  int64_t max_keypoints = -1;        // <= 0: every maximum
  // true: pad to multiples of 16 (kornia's pad_if_not_divisible); false: such images
  // are an error.
  bool pad_if_not_divisible = true;

  // Reads the keys above from the model table (up = the first len(down) - 2 widths).
  static DiskConfig from(ConfigView& config);
  int64_t size_multiple() const { return int64_t(1) << (down.size() - 1); }
};

// One image's detections: keypoints in raster order.
struct DiskDetections {
  Tensor keypoints;    // [N, 2] f32 (x, y) integer pixels
  Tensor scores;       // [N] f32 heatmap logits
  Tensor descriptors;  // [N, D] f32, L2-normalised
};

// Batch keys: "image" [B, 3, H, W] in [0, 1]. Predictions: "heatmap" [B, 1, H, W] and
// "descriptors" [B, D, H, W] (dense, not normalised), cropped to the image.
class DISK : public Extractor {
 public:
  explicit DISK(DiskConfig config);

  const DiskConfig& config() const { return config_; }
  std::vector<std::string> required_keys() const override { return {"image"}; }
  Predictions forward(const Batch& batch) override;
  // The heatmap [B, 1, H, W] and dense descriptors [B, D, H, W] of images [B, 3, H, W]
  // (padded and cropped back as configured).
  std::pair<ag::Var, ag::Var> heatmap_and_descriptors(const ag::Var& images);
  // The U-Net alone: images with sides multiples of size_multiple() -> [B, D + 1, H, W].
  ag::Var unet(const ag::Var& images);
  // An sp .h5, or a .pth: DISK's own files hold the state dict under "extractor" (older
  // "disk"), which is looked for first; a plain state dict loads as is. Strict: a file of
  // another model fails naming the missing keys.
  void load_pretrained(const std::string& path) override;
  // Not available yet: DISK's policy-gradient training is a later issue.
  Losses loss(const Predictions& pred, const Batch& batch) override;
  // "num_keypoints": the mean number of detections per image.
  std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) override;

  // Detections of heatmaps [B, 1, Hp, Wp] and dense descriptors [B, D, Hp, Wp] whose
  // top-left height x width region is the image (< 0: all of it; the rest is padding).
  std::vector<DiskDetections> detect(const Tensor& heatmap, const Tensor& descriptors,
                                     int64_t height = -1, int64_t width = -1) const;

  features::Features extract(const Tensor& images) override;
  features::Features features_of(const Predictions& pred, const Tensor& images) override;
  double detection_threshold() const override { return config_.detection_threshold; }
  bool has_descriptors() const override { return true; }
  int64_t descriptor_dim() const override { return config_.descriptor_dim; }
  int64_t input_channels() const override { return 3; }
  int64_t image_size_multiple() const override {
    return config_.pad_if_not_divisible ? 1 : config_.size_multiple();
  }

 private:
  DiskConfig config_;
};

}  // namespace sp::models
