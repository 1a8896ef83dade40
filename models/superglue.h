// SuperGlue (Sarlin et al., CVPR 2020; matchers.md section 2 and its Corrections): a
// graph neural network over two keypoint sets followed by optimal transport with a
// learned dustbin.
//
//   keypoints are normalised with the image size (W, H): p' = (p - (W/2, H/2)) /
//   (0.7 max(W, H)); x = d + MLP(x', y', score) (channels 3 -> 32 -> 64 -> 128 -> 256
//   -> D, batch norm + ReLU between); L layers alternate self and cross attention,
//   x <- x + MLP([x | MHA(x, src, src)]) with the weights shared by both images and both
//   deltas taken from the states before the layer; attention has 4 heads and SuperGlue's
//   channel layout (channel c in head c mod 4, sub-dimension c div 4); a final linear
//   projection, scores <f0_i, f1_j> / sqrt(D); log-space Sinkhorn on the scores
//   augmented with one learned dustbin score (bin_score) -> log P [B, N + 1, M + 1];
//   matches: mutual row/column argmax of log P[:N, :M] with exp(max) > match_threshold.
//
// Layout: point sets are [B, N, D] (sp's convention); the official 1x1 Conv1d weights
// [out, in, 1] load into linear weights [out, in]. Parameter names are the official ones
// (kenc.encoder.{k}, gnn.layers.{l}.attn.{merge, proj.{0,1,2}}, gnn.layers.{l}.mlp.{0,1,3},
// final_proj, bin_score); input_proj (a linear input_dim -> D) only when input_dim differs
// from descriptor_dim (DISK's 128-D descriptors).
//
// Padding (keypoint_mask false) never influences the real points: attention ignores
// padded keys, and Sinkhorn runs with each pair's own counts (padded rows and columns get
// no mass). The dustbins are the last row and column of log P. In training mode batch
// norm takes its statistics over every point given, padding included (training batches
// have a fixed keypoint count, as in the paper).
//
//   [model.matcher] name = "superglue", descriptor_dim (256), input_dim (0: descriptor_dim),
//     keypoint_encoder ([32, 64, 128, 256]), num_layers (18), num_heads (4),
//     sinkhorn_iterations (100), match_threshold (0.2), checkpointed (true: per-layer
//     gradient checkpointing while training), nll_balancing (0.5)
// Predictions: matches0/1, matching_scores0/1 (no gradient), log_assignment
// [B, N + 1, M + 1] (with gradient). Loss (needs gt_matches0/1 from the pipeline's ground
// truth): models/match_loss.h, Glue Factory's SuperGlue variant.
#pragma once

#include <memory>
#include <vector>

#include "models/matcher.h"
#include "nn/containers.h"
#include "nn/linear.h"

namespace sp::models {

struct SuperGlueConfig {
  int64_t descriptor_dim = 256;
  int64_t input_dim = 0;  // 0: descriptor_dim (no input projection)
  std::vector<int64_t> keypoint_encoder{32, 64, 128, 256};
  int64_t num_layers = 18;  // self, cross, self, ...
  int64_t num_heads = 4;
  int64_t sinkhorn_iterations = 100;
  double match_threshold = 0.2;
  bool checkpointed = true;  // recompute each GNN layer in backward (training only)
  double nll_balancing = 0.5;
  static SuperGlueConfig from(ConfigView& config);
};

namespace superglue_detail {
class KeypointEncoder;
class AttentionalGNN;
}  // namespace superglue_detail

class SuperGlue : public Matcher {
 public:
  explicit SuperGlue(SuperGlueConfig config);
  // A model shaped like the weights file (descriptor_dim, input_dim, keypoint_encoder and
  // num_layers read from its tensors; the other settings from `base`), weights loaded.
  static std::shared_ptr<SuperGlue> from_weights(const std::string& path,
                                                 SuperGlueConfig base = {});

  const SuperGlueConfig& config() const { return config_; }
  std::vector<std::string> required_keys() const override;
  Predictions forward(const Batch& batch) override;
  Losses loss(const Predictions& pred, const Batch& batch) override;
  std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) override;
  features::Matches match(const features::Features& f0, const features::Features& f1) override;
  // An sp .h5, or a .pth state dict in the official layout (Conv1d weights [out, in, 1]).
  void load_pretrained(const std::string& path) override;

  // log P [B, N + 1, M + 1] with gradients (inputs checked; both sets non-empty).
  ag::Var log_assignment(const features::Features& f0, const features::Features& f1);
  // The matches read from log P (no gradient); masks [B, N], [B, M].
  features::Matches matches_from(const Tensor& log_p, const Tensor& mask0,
                                 const Tensor& mask1) const;

 private:
  ag::Var encode(const features::Features& f);
  void check_inputs(const features::Features& f0, const features::Features& f1) const;

  SuperGlueConfig config_;
  std::shared_ptr<nn::Linear> input_proj_;  // null without a projection
  std::shared_ptr<superglue_detail::KeypointEncoder> kenc_;
  std::shared_ptr<superglue_detail::AttentionalGNN> gnn_;
  std::shared_ptr<nn::Linear> final_proj_;
};

}  // namespace sp::models
