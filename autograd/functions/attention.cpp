#include "autograd/functions/attention.h"

#include "autograd/node.h"
#include "tensor/ops/attention.h"

namespace sp::ag {

Var scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask,
                                 std::optional<double> scale) {
  SP_CHECK(q.defined() && k.defined() && v.defined(),
           "scaled_dot_product_attention: expected defined q, k and v");
  AttentionResult r = sp::scaled_dot_product_attention(q.data(), k.data(), v.data(), mask, scale);
  return make_result("scaled_dot_product_attention", r.output, {q, k, v},
                     {q.data(), k.data(), v.data(), r.output, r.logsumexp, mask},
                     [scale](const BackwardArgs& a) {
                       const std::vector<Tensor>& s = a.saved;
                       AttentionGrads g = scaled_dot_product_attention_backward(
                           a.grad(), s[0], s[1], s[2], s[3], s[4], s[5], scale);
                       return std::vector<Tensor>{a.needs(0) ? g.grad_q : Tensor(),
                                                  a.needs(1) ? g.grad_k : Tensor(),
                                                  a.needs(2) ? g.grad_v : Tensor()};
                     });
}

}  // namespace sp::ag
