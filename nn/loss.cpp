#include "nn/loss.h"

#include "autograd/functions/index.h"
#include "autograd/functions/norm.h"
#include "autograd/functions/reduce.h"
#include "autograd/functions/softmax.h"
#include "autograd/functions/views.h"
#include "autograd/operators.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/index.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/reduce.h"

namespace sp::nn::F {

ag::Var reduce(const ag::Var& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return loss;
    case Reduction::Sum:
      return ag::sum(loss);
    case Reduction::Mean:
      return ag::mean(loss);
  }
  return loss;
}

ag::Var cross_entropy(const ag::Var& logits, const Tensor& target, const CrossEntropyOptions& o) {
  SP_CHECK(logits.defined() && logits.dim() >= 2,
           "cross_entropy: expected logits [N, C, ...], got ",
           logits.defined() ? logits.shape() : Shape{});
  SP_CHECK(is_floating(logits.dtype()), "cross_entropy: expected floating logits, got ",
           logits.dtype());
  Shape want;  // [N, ...] = logits' shape without the class dim
  for (int d = 0; d < logits.dim(); ++d)
    if (d != 1) want.push_back(logits.size(d));
  SP_CHECK(target.defined() && target.dtype() == DType::I64 && target.shape() == want,
           "cross_entropy: expected an i64 target ", want, " for logits ", logits.shape(), ", got ",
           target.defined() ? target.shape() : Shape{}, " ",
           target.defined() ? target.dtype() : DType::I64);
  const int64_t classes = logits.size(1);
  Tensor t = target.to(logits.device());
  Tensor valid = ne(t, Scalar(o.ignore_index));
  Tensor safe = where(valid, t, Scalar(int64_t(0)));
  if (safe.numel() > 0) {
    const int64_t lo = sp::amin(safe).item<int64_t>(), hi = sp::amax(safe).item<int64_t>();
    SP_CHECK(lo >= 0 && hi < classes, "cross_entropy: expected targets in [0, ", classes,
             ") or ignore_index ", o.ignore_index, ", got values in [", lo, ", ", hi, "]");
  }
  ag::Var logp = ag::log_softmax(logits, 1);
  ag::Var nll = -ag::squeeze(ag::gather(logp, 1, safe.unsqueeze(1)), 1);

  // Per-element weight w_y * valid * mask (constants for the gradient).
  Tensor w = valid.to(logits.dtype());
  if (o.weight.defined()) {
    SP_CHECK(o.weight.dim() == 1 && o.weight.size(0) == classes,
             "cross_entropy: expected a class weight [", classes, "], got ", o.weight.shape());
    Tensor wy =
        index_select(o.weight.to(logits.device(), logits.dtype()), 0, safe.flatten()).reshape(want);
    w = w * wy;
  }
  if (o.mask.defined()) {
    SP_CHECK(o.mask.shape() == want, "cross_entropy: expected a mask ", want, ", got ",
             o.mask.shape());
    w = w * o.mask.to(logits.device(), logits.dtype());
  }
  ag::Var loss = nll * ag::Var(w);
  if (o.reduction != Reduction::Mean) return reduce(loss, o.reduction);
  return ag::sum(loss) / ag::Var(sp::sum(w));
}

ag::Var binary_cross_entropy_with_logits(const ag::Var& x, const Tensor& target,
                                         const BceWithLogitsOptions& o) {
  SP_CHECK(x.defined() && is_floating(x.dtype()),
           "binary_cross_entropy_with_logits: expected a floating input");
  SP_CHECK(target.defined() && target.shape() == x.shape(),
           "binary_cross_entropy_with_logits: expected a target ", x.shape(), ", got ",
           target.defined() ? target.shape() : Shape{});
  Tensor t = target.to(x.device(), x.dtype());
  // log sigmoid(x); minimum splits the tie at 0 evenly, which gives the exact slope 1/2.
  ag::Var zero(zeros({}, x.dtype(), x.device()));
  ag::Var log_sig = ag::minimum(x, zero) - ag::log(ag::exp(-ag::abs(x)) + 1.0);
  // -(t * log_sig(x) * pw + (1 - t) * log_sig(-x)) with log_sig(-x) = log_sig(x) - x.
  ag::Var loss;
  if (o.pos_weight.defined()) {
    Tensor lw = (o.pos_weight.to(x.device(), x.dtype()) - 1.0) * t + 1.0;
    loss = ag::Var(1.0 - t) * x - ag::Var(lw) * log_sig;
  } else {
    loss = ag::Var(1.0 - t) * x - log_sig;
  }
  if (o.weight.defined()) loss = loss * ag::Var(o.weight.to(x.device(), x.dtype()));
  return reduce(loss, o.reduction);
}

ag::Var positive_margin_loss(const ag::Var& x, double margin) {
  return ag::relu(margin - x);
}
ag::Var negative_margin_loss(const ag::Var& x, double margin) {
  return ag::relu(x - margin);
}

ag::Var normalize(const ag::Var& x, double p, int64_t dim, double eps) {
  return ag::normalize(x, p, dim, eps);
}

}  // namespace sp::nn::F
