// Losses (torch.nn.functional names and semantics) over sp::ag, plus the margin helpers
// of SuperPoint's descriptor loss and F.normalize.
#pragma once

#include "autograd/var.h"
#include "tensor/tensor.h"

namespace sp::nn::F {

enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
  Tensor weight;                // [C] class weights, or undefined
  int64_t ignore_index = -100;  // targets equal to it contribute nothing
  // [N, ...] floating, multiplied into the per-element loss; with Mean it also weighs
  // the denominator: sum(w_y * mask * l) / sum(w_y * mask) (SuperPoint's masked mean).
  Tensor mask;
  Reduction reduction = Reduction::Mean;
};

// logits [N, C, ...] (or [N, C]), target i64 [N, ...] in [0, C) or ignore_index.
// Mean: sum(w_y * l) / sum(w_y) over non-ignored elements (PyTorch); None returns
// [N, ...] with 0 at ignored elements.
ag::Var cross_entropy(const ag::Var& logits, const Tensor& target,
                      const CrossEntropyOptions& options = {});

struct BceWithLogitsOptions {
  Tensor weight;      // broadcast to the input, multiplies each element's loss
  Tensor pos_weight;  // broadcast along the last (class) dim, weighs the positive term
  Reduction reduction = Reduction::Mean;
};

// -[pos_weight * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x))], computed stably
// from log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)). target has the input's shape.
ag::Var binary_cross_entropy_with_logits(const ag::Var& input, const Tensor& target,
                                         const BceWithLogitsOptions& options = {});

// Hinge terms: relu(margin - x) (pulls x above margin) and relu(x - margin) (pushes x
// below margin), as in SuperPoint's descriptor loss (positive_margin, negative_margin).
ag::Var positive_margin_loss(const ag::Var& x, double margin);
ag::Var negative_margin_loss(const ag::Var& x, double margin);

// torch.nn.functional.normalize: x / max(||x||_p, eps) along dim.
ag::Var normalize(const ag::Var& x, double p = 2.0, int64_t dim = 1, double eps = 1e-12);

// Applies a reduction to a per-element loss.
ag::Var reduce(const ag::Var& loss, Reduction reduction);

}  // namespace sp::nn::F
