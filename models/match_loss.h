// The balanced negative log-likelihood of a log-assignment with dustbins (Glue Factory's
// matcher losses, matchers.md 2.2 and 3.2), shared by SuperGlue and LightGlue.
//
// Dimension letters: B pairs, N keypoints of image 0, M of image 1 (padded alike).
// Ground truth (geometry/gt_matches.h): gt_matches0[b, i] = j >= 0 for a positive (i, j),
// -1 unmatched (its target is the dustbin), -2 ignored (no term). Per pair:
//   nll_pos = -sum_{positives} log P_ij / max(#positives, 1)
//   nll_neg = -(sum_{i: -1} log P_{i,M} + sum_{j: -1} log P_{N,j}) / denominator
//     Joint (SuperGlue, gluefactory_nonfree/superglue.py): max(#neg0 + #neg1, 1)
//     PerSide (LightGlue, gluefactory/models/utils/losses.py): max(#neg0, 1) + max(#neg1, 1)
//   nll = balancing * nll_pos + (1 - balancing) * nll_neg
// Padding must carry -2. The positives are read from gt_matches0 (Glue Factory reads the
// equivalent gt_assignment).
#pragma once

#include "autograd/var.h"
#include "tensor/tensor.h"

namespace sp::models {

enum class NegativeNormalization { Joint, PerSide };

struct MatchLossOptions {
  double nll_balancing = 0.5;
  NegativeNormalization negatives = NegativeNormalization::Joint;
};

struct MatchLoss {
  ag::Var nll;             // [B] per pair, differentiable
  Tensor nll_pos;          // [B] detached
  Tensor nll_neg;          // [B]
  Tensor num_matchable;    // [B] #positives
  Tensor num_unmatchable;  // [B] #neg0 + #neg1
};

// log_assignment [B, N + 1, M + 1] (dustbins last), gt_matches0 [B, N], gt_matches1 [B, M]
// integer. Shapes are checked, naming what differs.
MatchLoss match_nll_loss(const ag::Var& log_assignment, const Tensor& gt_matches0,
                         const Tensor& gt_matches1, const MatchLossOptions& options = {});

}  // namespace sp::models
