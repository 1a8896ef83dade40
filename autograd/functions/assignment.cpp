#include "autograd/functions/assignment.h"

#include <cmath>

#include "autograd/functions/elementwise.h"
#include "autograd/functions/movement.h"
#include "autograd/functions/softmax.h"
#include "autograd/functions/views.h"
#include "autograd/node.h"
#include "autograd/operators.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/sinkhorn.h"

namespace sp::ag {

Var log_sinkhorn(const Var& Z, const Tensor& log_mu, const Tensor& log_nu, int64_t iters) {
  SP_CHECK(Z.defined(), "log_sinkhorn: expected defined scores");
  SinkhornResult r = sp::log_sinkhorn(Z.data(), log_mu, log_nu, iters);
  return make_result(
      "log_sinkhorn", r.log_p, {Z}, {Z.data(), log_mu, log_nu, r.us, r.vs},
      [](const BackwardArgs& a) {
        const std::vector<Tensor>& s = a.saved;
        return std::vector<Tensor>{log_sinkhorn_backward(a.grad(), s[0], s[1], s[2], s[3], s[4])};
      });
}

Var log_optimal_transport(const Var& scores, const Var& alpha, int64_t iters) {
  SP_CHECK(scores.defined() && scores.dim() == 3,
           "log_optimal_transport: expected scores [B, M, N], got ",
           scores.defined() ? scores.shape() : Shape{});
  SP_CHECK(alpha.defined() && alpha.numel() == 1,
           "log_optimal_transport: expected a one-element bin score, got ",
           alpha.defined() ? alpha.shape() : Shape{});
  const int64_t B = scores.size(0), M = scores.size(1), N = scores.size(2);
  SP_CHECK(M + N > 0, "log_optimal_transport: expected at least one point, got scores ",
           scores.shape());
  const Var a = reshape(alpha, {1, 1, 1});
  // couplings [B, M + 1, N + 1]: the scores with a dustbin row and column of alpha
  const Var top = cat({scores, expand(a, {B, M, 1})}, 2);
  const Var bottom = expand(a, {B, 1, N + 1});
  const Var couplings = cat({top, bottom}, 1);
  const double norm = -std::log(double(M + N));
  const DType dt = scores.dtype();
  const Device dev = scores.device();
  Tensor log_mu = full({B, M + 1}, norm, dt, dev), log_nu = full({B, N + 1}, norm, dt, dev);
  log_mu.narrow(1, M, 1).fill_(std::log(double(N)) + norm);
  log_nu.narrow(1, N, 1).fill_(std::log(double(M)) + norm);
  return log_sinkhorn(couplings, log_mu, log_nu, iters) - norm;
}

Var log_double_softmax(const Var& sim) {
  SP_CHECK(sim.defined() && sim.dim() == 3,
           "log_double_softmax: expected similarities [B, M, N], got ",
           sim.defined() ? sim.shape() : Shape{});
  return log_softmax(sim, 2) + log_softmax(sim, 1);
}

Var sigmoid_log_double_softmax(const Var& sim, const Var& z0, const Var& z1) {
  const char* what = "sigmoid_log_double_softmax";
  SP_CHECK(sim.defined() && sim.dim() == 3, what, ": expected similarities [B, M, N], got ",
           sim.defined() ? sim.shape() : Shape{});
  const int64_t B = sim.size(0), M = sim.size(1), N = sim.size(2);
  SP_CHECK(z0.defined() && z1.defined() && z0.shape() == Shape({B, M, 1}) &&
               z1.shape() == Shape({B, N, 1}),
           what, ": expected matchability logits z0 [", B, ", ", M, ", 1] and z1 [", B, ", ", N,
           ", 1] for sim ", sim.shape(), ", got ", z0.defined() ? z0.shape() : Shape{}, " and ",
           z1.defined() ? z1.shape() : Shape{});
  const Var certainties = log_sigmoid(z0) + transpose(log_sigmoid(z1), 1, 2);  // [B, M, N]
  const Var inner = log_double_softmax(sim) + certainties;
  const Var last_col = log_sigmoid(neg(z0));                   // [B, M, 1]
  const Var last_row = transpose(log_sigmoid(neg(z1)), 1, 2);  // [B, 1, N]
  const Var corner(zeros({B, 1, 1}, sim.dtype(), sim.device()));
  return cat({cat({inner, last_col}, 2), cat({last_row, corner}, 2)}, 1);
}

}  // namespace sp::ag
