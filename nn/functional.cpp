#include "nn/functional.h"

#include "autograd/node.h"

namespace sp::nn::F {

ag::Var conv2d(const ag::Var& input, const ag::Var& weight, const ag::Var& bias, const Conv2dArgs& args) {
  SP_CHECK(input.defined() && weight.defined(), "conv2d: expected defined input and weight");
  SP_CHECK(input.dim() == 4, "conv2d: expected a 4-D input [N, C, H, W], got ", input.shape());
  Tensor out = sp::conv2d(input.data(), weight.data(), bias.defined() ? bias.data() : Tensor(), args);
  std::vector<ag::Var> inputs{input, weight};
  if (bias.defined()) inputs.push_back(bias);
  return ag::make_result("conv2d", out, inputs, {input.data(), weight.data()}, [args](const ag::BackwardArgs& a) {
    std::vector<Tensor> grads(a.inputs.size());
    const Tensor& x = a.saved[0];
    const Tensor& w = a.saved[1];
    if (a.needs(0)) grads[0] = conv2d_backward_input(a.grad(), x.shape(), w, args);
    if (a.needs(1)) grads[1] = conv2d_backward_weight(a.grad(), x, w.shape(), args);
    if (grads.size() > 2 && a.needs(2)) grads[2] = conv2d_backward_bias(a.grad());
    return grads;
  });
}

ag::Var max_pool2d(const ag::Var& input, const Pool2dArgs& args) {
  SP_CHECK(input.defined(), "max_pool2d: expected a defined input");
  MaxPool2dResult r = sp::max_pool2d(input.data(), args);
  return ag::make_result("max_pool2d", r.values, {input}, {r.indices}, [](const ag::BackwardArgs& a) {
    return std::vector<Tensor>{max_pool2d_backward(a.grad(), a.saved[0], a.inputs[0].shape)};
  });
}

ag::Var avg_pool2d(const ag::Var& input, const Pool2dArgs& args) {
  SP_CHECK(input.defined(), "avg_pool2d: expected a defined input");
  Tensor out = sp::avg_pool2d(input.data(), args);
  return ag::make_result("avg_pool2d", out, {input}, {}, [args](const ag::BackwardArgs& a) {
    return std::vector<Tensor>{avg_pool2d_backward(a.grad(), a.inputs[0].shape, args)};
  });
}

}  // namespace sp::nn::F
