#include "autograd/functions/dropout.h"

#include "autograd/node.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/operators.h"

namespace sp::ag {

Var dropout(const Var& x, double p, bool training, Generator& gen) {
  SP_CHECK(x.defined(), "dropout: expected a defined input");
  SP_CHECK(p >= 0.0 && p <= 1.0, "dropout: expected a probability p in [0, 1], got ", p);
  SP_CHECK(is_floating(x.dtype()), "dropout: expected a floating input, got ", x.dtype());
  if (!training || p == 0.0) return x;
  // The mask already holds the 1 / (1 - p) scale; p = 1 drops everything (PyTorch).
  Tensor mask = p == 1.0
                    ? zeros_like(x.data())
                    : bernoulli(1.0 - p, x.shape(), gen, x.dtype(), x.device()) * (1.0 / (1.0 - p));
  return make_result("dropout", x.data() * mask, {x}, {mask}, [](const BackwardArgs& a) {
    return std::vector<Tensor>{a.grad() * a.saved[0]};
  });
}

}  // namespace sp::ag
