// SuperPoint's training losses (superpoint.md section 5), on the device of the inputs.
#pragma once

#include <string>

#include "autograd/var.h"
#include "tensor/tensor.h"

namespace sp::models {

enum class DetectorLossKind {
  // 65-way categorical cross-entropy against the soft cell targets of cell_targets()
  // (1/k for each of the k points of a cell, dustbin 1 for empty cells). For cells with
  // one point this is [P]/[TF]'s CE; for several points it is the expectation of [TF]'s
  // CE with a random point per cell, without the randomness (spec 10.1 item 3).
  CrossEntropy,
  // [PS]'s default: binary cross-entropy on the softmax probabilities, each channel
  // separately, against the same soft targets (logs clamped at -100 like PyTorch).
  SoftmaxBce,
};

// "ce" or "bce"; other names throw listing both.
DetectorLossKind detector_loss_kind(const std::string& name);

// Cell valid mask [B, 1, Hc, Wc]: a cell counts when all its 64 pixels are valid (the
// product over the cell, as [TF] and [PS] downsample it). valid_mask [B, 1, H, W].
Tensor cell_valid_mask(const Tensor& valid_mask);

// Soft 65-channel targets [B, 65, Hc, Wc] of keypoint maps [B, 1, H, W] on their device;
// per image equal to cell_targets() of keypoints.h.
Tensor detector_targets(const Tensor& labels);

// Detector loss of logits [B, 65, Hc, Wc] against keypoint maps labels [B, 1, 8Hc, 8Wc]
// (0/1, or soft), masked by the cell valid mask of valid_mask [B, 1, 8Hc, 8Wc]
// (undefined = all valid): sum(mask * loss_cell) / (sum(mask) + 1e-10) over the batch.
ag::Var detector_loss(const ag::Var& logits, const Tensor& labels, const Tensor& valid_mask,
                      DetectorLossKind kind = DetectorLossKind::CrossEntropy);

struct DescriptorLossOptions {
  double lambda_d = 250.0;       // weight of the positive term ([P], [TF] class default)
  double positive_margin = 1.0;  // m_p
  double negative_margin = 0.2;  // m_n
  double distance = 7.5;         // a cell pair corresponds when ||H p - p'|| <= distance px
  int64_t chunk_rows = 0;        // rows of cells of image A per chunk; 0 = automatic
};

// Dense descriptor hinge loss (spec 5.4) between descriptors [B, D, Hc, Wc] of image A
// and warped_descriptors of image B, with homography [B, 3, 3] mapping A's pixel frame
// to B's and warped_valid_mask [B, 1, H, W] of B (undefined = all valid):
//   l = lambda_d * s * relu(m_p - d.d') + (1 - s) * relu(d.d' - m_n),
//   loss = sum_b sum_{hw, h'w'} mask'_{h'w'} * l / (Hc * Wc * max(sum_b sum mask', 1)).
// With a full mask this is [P]'s mean over all (Hc Wc)^2 cell pairs, averaged over the
// batch. Cell centres are at pixel (8w + 3.5, 8h + 3.5) (integer coordinates are pixel
// centres). The dot products go into the hinge directly: no ReLU + double L2
// normalisation of [TF] (spec 10.1 item 4). It is computed over chunks of A's cells, in
// the forward and again in the backward, so the memory peak is O(chunk * Hc * Wc) and
// never O((Hc Wc)^2 D).
ag::Var descriptor_loss(const ag::Var& descriptors, const ag::Var& warped_descriptors,
                        const Tensor& homography, const Tensor& warped_valid_mask,
                        const DescriptorLossOptions& options = {});

}  // namespace sp::models
