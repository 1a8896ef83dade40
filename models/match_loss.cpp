#include "models/match_loss.h"

#include "autograd/functions/elementwise.h"
#include "autograd/functions/index.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/views.h"
#include "autograd/operators.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::models {

MatchLoss match_nll_loss(const ag::Var& log_assignment, const Tensor& gt_matches0,
                         const Tensor& gt_matches1, const MatchLossOptions& options) {
  SP_CHECK(log_assignment.defined() && log_assignment.dim() == 3,
           "match_nll_loss: expected a log-assignment [B, N + 1, M + 1], got ",
           log_assignment.defined() ? log_assignment.shape() : Shape{});
  const int64_t B = log_assignment.size(0), N = log_assignment.size(1) - 1,
                M = log_assignment.size(2) - 1;
  SP_CHECK(gt_matches0.defined() && gt_matches1.defined() && gt_matches0.shape() == Shape({B, N}) &&
               gt_matches1.shape() == Shape({B, M}),
           "match_nll_loss: expected gt_matches0 [", B, ", ", N, "] and gt_matches1 [", B, ", ", M,
           "] for the log-assignment ", log_assignment.shape(), ", got ",
           gt_matches0.defined() ? gt_matches0.shape() : Shape{}, " and ",
           gt_matches1.defined() ? gt_matches1.shape() : Shape{});
  SP_CHECK(options.nll_balancing >= 0 && options.nll_balancing <= 1,
           "match_nll_loss: expected nll_balancing in [0, 1], got ", options.nll_balancing);
  const DType dt = log_assignment.dtype();
  const Tensor m0 = gt_matches0.to(DType::I64).to(log_assignment.device());
  const Tensor m1 = gt_matches1.to(DType::I64).to(log_assignment.device());
  const Tensor pos = (m0 >= Scalar(int64_t(0))).to(dt);    // [B, N]
  const Tensor neg0 = eq(m0, Scalar(int64_t(-1))).to(dt);  // [B, N]
  const Tensor neg1 = eq(m1, Scalar(int64_t(-1))).to(dt);  // [B, M]

  // log P_{i, gt(i)} for every row (the column clamped for non-positives, weighted 0).
  const ag::Var rows = ag::narrow(log_assignment, 1, 0, N);  // [B, N, M + 1]
  const Tensor col = clamp(m0, Scalar(int64_t(0)), std::nullopt).unsqueeze(2);
  const ag::Var at_gt = ag::squeeze(ag::gather(rows, 2, col), 2);  // [B, N]
  const ag::Var bin0 = ag::squeeze(ag::narrow(rows, 2, M, 1), 2);  // [B, N]
  const ag::Var bin1 = ag::squeeze(ag::narrow(ag::narrow(log_assignment, 1, N, 1), 2, 0, M),
                                   1);  // [B, M]

  const Tensor num_pos = sum(pos, {1});                   // [B]
  const Tensor n0 = sum(neg0, {1}), n1 = sum(neg1, {1});  // [B]
  Tensor denom_neg;
  if (options.negatives == NegativeNormalization::Joint)
    denom_neg = clamp(n0 + n1, Scalar(1.0), std::nullopt);
  else
    denom_neg = clamp(n0, Scalar(1.0), std::nullopt) + clamp(n1, Scalar(1.0), std::nullopt);

  const ag::Var nll_pos = ag::neg(ag::sum(at_gt * ag::Var(pos), {1})) /
                          ag::Var(clamp(num_pos, Scalar(1.0), std::nullopt));
  const ag::Var nll_neg =
      ag::neg(ag::sum(bin0 * ag::Var(neg0), {1}) + ag::sum(bin1 * ag::Var(neg1), {1})) /
      ag::Var(denom_neg);
  MatchLoss out;
  out.nll = nll_pos * Scalar(options.nll_balancing) + nll_neg * Scalar(1 - options.nll_balancing);
  out.nll_pos = nll_pos.data().clone();
  out.nll_neg = nll_neg.data().clone();
  out.num_matchable = num_pos;
  out.num_unmatchable = n0 + n1;
  return out;
}

}  // namespace sp::models
