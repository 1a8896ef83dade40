// Differentiable matching heads (SuperGlue, LightGlue; matchers.md sections 2.1 and 3.1):
//   log_sinkhorn          the fused log-domain Sinkhorn of tensor/ops/sinkhorn.h; its
//                         backward runs through the unrolled iterations keeping only the
//                         potentials (memory O(B (R + C) iters), no per-iteration copy of Z);
//   log_optimal_transport SuperGlue's: scores [B, M, N] and the learned dustbin score alpha
//                         (one element) -> log P [B, M + 1, N + 1] after `iters` Sinkhorn
//                         steps with marginals (1/(M+N), ..., N/(M+N)) and
//                         (1/(M+N), ..., M/(M+N)), plus log(M + N) (rows of matched points
//                         sum to about 1);
//   log_double_softmax    dual softmax in log space: log_softmax over dim 2 plus over dim 1;
//   sigmoid_log_double_softmax  LightGlue's assignment: sim [B, M, N], matchability
//                         logits z0 [B, M, 1], z1 [B, N, 1] -> [B, M + 1, N + 1] with
//                         log_double_softmax(sim) + log sigmoid(z0_i) + log sigmoid(z1_j)
//                         inside, log sigmoid(-z0) in the last column, log sigmoid(-z1) in
//                         the last row and 0 in the corner.
#pragma once

#include "autograd/var.h"

namespace sp::ag {

// Z [B, R, C]; log_mu [B, R] and log_nu [B, C] carry no gradient.
Var log_sinkhorn(const Var& Z, const Tensor& log_mu, const Tensor& log_nu, int64_t iters);
Var log_optimal_transport(const Var& scores, const Var& alpha, int64_t iters);
Var log_double_softmax(const Var& sim);
Var sigmoid_log_double_softmax(const Var& sim, const Var& z0, const Var& z1);

}  // namespace sp::ag
