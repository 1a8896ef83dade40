#include "nn/layers.h"

#include "nn/init.h"
#include "tensor/ops/creation.h"

namespace sp::nn {

Conv2d::Conv2d(const Conv2dOptions& o, Generator& gen) : UnaryModule("Conv2d"), options_(o) {
  SP_CHECK(o.in_channels > 0 && o.out_channels > 0 && o.args.groups > 0 &&
               o.in_channels % o.args.groups == 0 && o.out_channels % o.args.groups == 0,
           "Conv2d: expected positive channels divisible by groups, got in ", o.in_channels,
           ", out ", o.out_channels, ", groups ", o.args.groups);
  Tensor w = empty({o.out_channels, o.in_channels / o.args.groups, o.kernel[0], o.kernel[1]});
  Tensor b = o.bias ? empty({o.out_channels}) : Tensor();
  init::default_linear_init(w, b, gen);
  register_parameter("weight", w);
  if (o.bias) register_parameter("bias", b);
}

static Conv2dOptions shorthand(int64_t in, int64_t out, int64_t k, int64_t stride,
                               int64_t padding) {
  Conv2dOptions o;
  o.in_channels = in, o.out_channels = out, o.kernel = {k, k};
  o.args.stride = {stride, stride};
  o.args.padding = {padding, padding};
  return o;
}

Conv2d::Conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
               Generator& gen)
    : Conv2d(shorthand(in, out, kernel, stride, padding), gen) {}

ag::Var Conv2d::forward(const ag::Var& x) {
  return F::conv2d(x, param("weight"), options_.bias ? param("bias") : ag::Var(), options_.args);
}

}  // namespace sp::nn
