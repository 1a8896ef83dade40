#include "nn/dropout.h"

#include "autograd/functions/dropout.h"

namespace sp::nn {

Dropout::Dropout(double p, Generator& gen) : UnaryModule("Dropout"), p_(p), gen_(&gen) {
  SP_CHECK(p >= 0.0 && p <= 1.0, "Dropout: expected a probability p in [0, 1], got ", p);
}

ag::Var Dropout::forward(const ag::Var& x) {
  return ag::dropout(x, p_, is_training(), *gen_);
}

}  // namespace sp::nn
