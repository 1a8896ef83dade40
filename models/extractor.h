// The contract of keypoint extractors (Glue Factory's extractors/): SuperPoint and
// MagicPoint today, DISK next. An extractor is a Model (trainable through forward/loss)
// that also turns images into features::Features for inference, export, evaluation and
// two-view pipelines.
#pragma once

#include <cstdint>

#include "features/features.h"
#include "models/model.h"

namespace sp::models {

class Extractor : public Model {
 public:
  using Model::Model;

  // Keypoints (pixels of `images`), scores and descriptors of images [B, C, H, W] with
  // values in [0, 1], padded to a common N with a mask; no gradients. The result is on
  // the images' device.
  virtual features::Features extract(const Tensor& images) = 0;
  // The Features of predictions that forward() made for `images`' batch (the same
  // post-processing as extract()), for summaries and metrics during training.
  virtual features::Features features_of(const Predictions& pred, const Tensor& images) = 0;

  // The operating point: keypoints scoring below it are dropped (config
  // detection_threshold; evaluations lower it to trace precision-recall curves).
  virtual double detection_threshold() const = 0;
  virtual bool has_descriptors() const = 0;
  virtual int64_t descriptor_dim() const = 0;  // 0 without descriptors
  virtual int64_t input_channels() const = 0;  // 1: gray, 3: RGB
};

}  // namespace sp::models
