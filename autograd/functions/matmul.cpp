#include "autograd/functions/matmul.h"

#include "autograd/functions/broadcast.h"
#include "autograd/functions/views.h"
#include "autograd/node.h"
#include "tensor/ops/matmul.h"
#include "tensor/ops/reduce.h"

namespace sp::ag {
namespace {

// Both operands at least 2-D.
Var matmul_nd(const Var& a, const Var& b) {
  return make_result("matmul", sp::matmul(a.data(), b.data()), {a, b}, {a.data(), b.data()},
                     [](const BackwardArgs& args) {
                       const Tensor& g = args.grad();
                       const Tensor& x = args.saved[0];
                       const Tensor& y = args.saved[1];
                       int rx = x.dim(), ry = y.dim();
                       Tensor gx, gy;
                       if (args.needs(0))
                         gx = grad_for(sp::matmul(g, y.transpose(ry - 2, ry - 1)), args.inputs[0]);
                       if (args.needs(1))
                         gy = grad_for(sp::matmul(x.transpose(rx - 2, rx - 1), g), args.inputs[1]);
                       return std::vector<Tensor>{gx, gy};
                     });
}

}  // namespace

Var matmul(const Var& a, const Var& b) {
  SP_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: expected operands of rank >= 1, got ", a.shape(),
           " and ", b.shape());
  bool a_vector = a.dim() == 1, b_vector = b.dim() == 1;
  Var x = a_vector ? unsqueeze(a, 0) : a;
  Var y = b_vector ? unsqueeze(b, -1) : b;
  Var out = matmul_nd(x, y);
  if (b_vector) out = squeeze(out, -1);
  if (a_vector) out = squeeze(out, -2);
  return out;
}

Var linear(const Var& x, const Var& weight, const Var& bias) {
  SP_CHECK(x.defined() && weight.defined(), "linear: expected a defined input and weight");
  const Tensor b = bias.defined() ? bias.data() : Tensor();
  return make_result("linear", sp::linear(x.data(), weight.data(), b), {x, weight, bias},
                     {x.data(), weight.data()}, [](const BackwardArgs& args) {
                       const Tensor& g = args.grad();
                       const int64_t O = args.saved[1].size(0);
                       LinearGrads lg = linear_backward(g, args.saved[0], args.saved[1],
                                                        args.needs(0), args.needs(1));
                       Tensor gb;
                       if (args.needs(2))
                         gb = sp::sum(g.reshape({g.numel() / std::max<int64_t>(O, 1), O}), {0});
                       return std::vector<Tensor>{lg.grad_input, lg.grad_weight, gb};
                     });
}

}  // namespace sp::ag
