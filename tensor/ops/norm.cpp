#include "tensor/ops/norm.h"

#include "tensor/cuda/fused.h"
#include "tensor/cuda/norm.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

void check_input(const Tensor& input, const char* what) {
  check_defined(input, what);
  SP_CHECK(input.dim() >= 2, what, ": expected input of shape [N, C, *], got ", input.shape());
  SP_CHECK(input.dtype() == DType::F32 || input.dtype() == DType::F64, what,
           ": expected input of dtype f32 or f64, got ", input.dtype());
}

// An optional per-channel tensor: undefined, or [C] with input's dtype and device.
void check_channel(const Tensor& t, const Tensor& input, const char* what, const char* arg,
                   bool required = false) {
  if (!t.defined()) {
    SP_CHECK(!required, what, ": expected ", arg, " of shape [", input.size(1),
             "], got an undefined tensor");
    return;
  }
  SP_CHECK(t.dim() == 1 && t.size(0) == input.size(1), what, ": expected ", arg, " of shape [",
           input.size(1), "] for input ", input.shape(), ", got ", t.shape());
  check_same_device(t, input, what);
  SP_CHECK(t.dtype() == input.dtype(), what, ": expected ", arg, " of dtype ", input.dtype(),
           " like input, got ", t.dtype());
}

}  // namespace

BatchNormResult batch_norm_train(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                 const Tensor& running_mean, const Tensor& running_var,
                                 double momentum, double eps) {
  const char* what = "batch_norm";
  check_input(input, what);
  for (auto [t, name] : {std::pair{&weight, "weight"},
                         {&bias, "bias"},
                         {&running_mean, "running_mean"},
                         {&running_var, "running_var"}})
    check_channel(*t, input, what, name);
  const int64_t per_channel = input.size(1) ? input.numel() / input.size(1) : 0;
  SP_CHECK(per_channel > 1, what,
           ": expected more than 1 value per channel when training, got input ", input.shape());
  const int64_t C = input.size(1);
  BatchNormResult r{empty(input.shape(), input.dtype(), input.device()),
                    empty({C}, input.dtype(), input.device()),
                    empty({C}, input.dtype(), input.device())};
  const Tensor x = input.contiguous();
  const bool gpu = input.is_cuda();
  (gpu ? cuda::batch_norm_stats : cpu::batch_norm_stats)(x, r.save_mean, r.save_invstd,
                                                         running_mean, running_var, momentum, eps);
  (gpu ? cuda::batch_norm_apply : cpu::batch_norm_apply)(r.output, x, weight, bias, r.save_mean,
                                                         r.save_invstd);
  return r;
}

Tensor batch_norm_eval(const Tensor& input, const Tensor& weight, const Tensor& bias,
                       const Tensor& running_mean, const Tensor& running_var, double eps) {
  const char* what = "batch_norm";
  check_input(input, what);
  check_channel(weight, input, what, "weight");
  check_channel(bias, input, what, "bias");
  check_channel(running_mean, input, what, "running_mean", true);
  check_channel(running_var, input, what, "running_var", true);
  Tensor out = empty(input.shape(), input.dtype(), input.device());
  const bool gpu = input.is_cuda();
  Tensor invstd = empty({input.size(1)}, input.dtype(), input.device());
  (gpu ? cuda::batch_norm_invstd : cpu::batch_norm_invstd)(invstd, running_var, eps);
  if (out.numel() > 0)
    (gpu ? cuda::batch_norm_apply : cpu::batch_norm_apply)(out, input.contiguous(), weight, bias,
                                                           running_mean, invstd);
  return out;
}

void batch_norm_inference_(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const Tensor& running_mean, const Tensor& running_var, double eps,
                           bool relu) {
  const char* what = "batch_norm_inference_";
  check_input(x, what);
  SP_CHECK(x.is_contiguous(), what, ": expected a contiguous input, got strides ", x.strides(),
           " for ", x.shape());
  check_channel(weight, x, what, "weight");
  check_channel(bias, x, what, "bias");
  check_channel(running_mean, x, what, "running_mean", true);
  check_channel(running_var, x, what, "running_var", true);
  if (x.numel() == 0) return;
  if (x.is_cuda()) {
    cuda::batch_norm_inference(x, x, running_mean, running_var, weight, bias, eps, relu);
    return;
  }
  Tensor invstd = empty({x.size(1)}, x.dtype(), x.device());
  cpu::batch_norm_invstd(invstd, running_var, eps);
  (relu ? cpu::batch_norm_apply_relu : cpu::batch_norm_apply)(x, x, weight, bias, running_mean,
                                                              invstd);
}

BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& input,
                                   const Tensor& weight, const Tensor& save_mean,
                                   const Tensor& save_invstd, bool training) {
  const char* what = "batch_norm_backward";
  check_input(input, what);
  check_defined(grad_out, what);
  SP_CHECK(grad_out.shape() == input.shape() && grad_out.dtype() == input.dtype(), what,
           ": expected grad_out like input ", input.meta(), ", got ", grad_out.meta());
  check_channel(weight, input, what, "weight");
  check_channel(save_mean, input, what, "save_mean", true);
  check_channel(save_invstd, input, what, "save_invstd", true);
  const int64_t C = input.size(1);
  BatchNormGrads g{empty(input.shape(), input.dtype(), input.device()),
                   empty({C}, input.dtype(), input.device()),
                   empty({C}, input.dtype(), input.device())};
  (input.is_cuda() ? cuda::batch_norm_backward : cpu::batch_norm_backward)(
      g.grad_input, g.grad_weight, g.grad_bias, grad_out.contiguous(), input.contiguous(), weight,
      save_mean, save_invstd, training);
  return g;
}

}  // namespace sp
