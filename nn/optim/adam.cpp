#include "nn/optim/adam.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "tensor/cuda/adam.h"
#include "tensor/ops/creation.h"

namespace sp::nn::optim {
namespace {

template <typename T>
void adam_cpu(T* param, const T* grad, T* m, T* v, T* vmax, int64_t n, int64_t step,
              const AdamOptions& o) {
  // Step-dependent factors in double, then rounded to T like PyTorch's scalar arguments.
  const double bias1 = 1.0 - std::pow(o.beta1, double(step));
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(o.beta2, double(step)));
  const T step_size = T(o.lr / bias1), b2s = T(bias2_sqrt), eps = T(o.eps);
  const T beta1 = T(o.beta1), beta2 = T(o.beta2), one_m_b1 = T(1.0 - o.beta1),
          one_m_b2 = T(1.0 - o.beta2);
  const T wd = T(o.weight_decay), decay = T(1.0 - o.lr * o.weight_decay);
  for (int64_t k = 0; k < n; ++k) {
    T g = grad[k];
    if (o.weight_decay != 0) {
      if (o.decoupled_weight_decay)
        param[k] = param[k] * decay;
      else
        g = g + wd * param[k];
    }
    m[k] = m[k] * beta1 + one_m_b1 * g;
    v[k] = v[k] * beta2 + one_m_b2 * (g * g);
    T second = v[k];
    if (o.amsgrad) second = vmax[k] = std::max(vmax[k], v[k]);
    T denom = std::sqrt(second) / b2s + eps;
    param[k] = param[k] + (-step_size) * (m[k] / denom);
  }
}

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

void adam_update(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, int64_t step, const AdamOptions& o) {
  size_t n = params.size();
  SP_CHECK(grads.size() == n && exp_avgs.size() == n && exp_avg_sqs.size() == n &&
               (!o.amsgrad || max_exp_avg_sqs.size() == n),
           "adam: expected as many grads and state tensors as params (", n, ")");
  SP_CHECK(step >= 1, "adam: expected a step count >= 1, got ", step);
  if (n > 0 && params[0].is_cuda()) {  // one fused multi-tensor launch per batch of tensors
    for (size_t i = 0; i < n; ++i)
      SP_CHECK(params[i].device() == params[0].device() &&
                   grads[i].device() == params[0].device() &&
                   exp_avgs[i].device() == params[0].device() &&
                   exp_avg_sqs[i].device() == params[0].device(),
               "adam: expected every tensor on ", params[0].device(), ", got ", params[i].meta(),
               " and grad ", grads[i].meta());
    sp::cuda::AdamConfig c{
        o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad, o.decoupled_weight_decay};
    sp::cuda::adam_update(params, grads, exp_avgs, exp_avg_sqs,
                          o.amsgrad ? max_exp_avg_sqs : exp_avg_sqs, step, c);
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    Tensor g = grads[i].contiguous();
    SP_CHECK(p.is_cpu() && g.is_cpu(),
             "adam: expected every tensor on the cpu like the first, got ", p.meta(), " and grad ",
             g.meta());
    SP_CHECK(p.is_contiguous() && g.shape() == p.shape() && g.dtype() == p.dtype(),
             "adam: expected a grad matching ", p.meta(), ", got ", g.meta());
    for (const Tensor* s :
         {&exp_avgs[i], &exp_avg_sqs[i], o.amsgrad ? &max_exp_avg_sqs[i] : &exp_avgs[i]})
      SP_CHECK(
          s->defined() && s->is_contiguous() && s->shape() == p.shape() && s->dtype() == p.dtype(),
          "adam: expected state tensors matching ", p.meta(), ", got ",
          s->defined() ? s->meta() : "undefined");
    const Tensor none;
    const Tensor& vmax = o.amsgrad ? max_exp_avg_sqs[i] : none;
    if (p.dtype() == DType::F32)
      adam_cpu(p.data<float>(), g.data<float>(), ptr<float>(exp_avgs[i]),
               ptr<float>(exp_avg_sqs[i]), ptr<float>(vmax), p.numel(), step, o);
    else if (p.dtype() == DType::F64)
      adam_cpu(p.data<double>(), g.data<double>(), ptr<double>(exp_avgs[i]),
               ptr<double>(exp_avg_sqs[i]), ptr<double>(vmax), p.numel(), step, o);
    else
      SP_FAIL("adam: expected f32 or f64 parameters, got ", p.dtype());
  }
}

Adam::Adam(std::vector<ag::Var> params, const AdamOptions& options)
    : Optimizer(std::move(params), options.lr, options.decoupled_weight_decay ? "adamw" : "adam"),
      options_(options) {
  SP_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1,
           name_, ": expected betas in [0, 1), got (", options.beta1, ", ", options.beta2, ")");
  SP_CHECK(options.eps >= 0 && options.weight_decay >= 0, name_,
           ": expected eps and weight_decay >= 0, got ", options.eps, " and ",
           options.weight_decay);
}

void Adam::step() {
  // PyTorch keeps one step count per parameter; parameters without a grad do not
  // advance. Parameters with equal counts (normally all) are updated in one call.
  std::map<int64_t, std::vector<size_t>> by_step;
  for (size_t i : params_with_grad()) {
    const Tensor& p = params_[i].data();
    Tensor& count = state(i, "step");
    if (!count.defined()) {
      count = scalar_tensor(0, DType::I64);
      state(i, "exp_avg") = zeros(p.shape(), p.dtype(), p.device());
      state(i, "exp_avg_sq") = zeros(p.shape(), p.dtype(), p.device());
      if (options_.amsgrad) state(i, "max_exp_avg_sq") = zeros(p.shape(), p.dtype(), p.device());
    }
    SP_CHECK(!options_.amsgrad || state(i, "max_exp_avg_sq").defined(), name_,
             ": expected 'max_exp_avg_sq' state for parameter ", i,
             " with amsgrad; hint: the loaded optimizer state was saved without amsgrad");
    int64_t step = count.item<int64_t>() + 1;
    count.fill_(double(step));
    by_step[step].push_back(i);
  }
  AdamOptions o = options_;
  o.lr = lr_;
  for (const auto& [step, index] : by_step) {
    std::vector<Tensor> params, grads, m, v, vmax;
    for (size_t i : index) {
      params.push_back(params_[i].data());
      grads.push_back(params_[i].grad());
      m.push_back(state(i, "exp_avg"));
      v.push_back(state(i, "exp_avg_sq"));
      vmax.push_back(options_.amsgrad ? state(i, "max_exp_avg_sq") : Tensor());
    }
    adam_update(params, grads, m, v, vmax, step, o);
  }
}

AdamOptions adamw_defaults() {
  AdamOptions o;
  o.weight_decay = 0.01;
  o.decoupled_weight_decay = true;
  return o;
}

AdamW::AdamW(std::vector<ag::Var> params, AdamOptions options)
    : Adam(std::move(params), [&] {
        options.decoupled_weight_decay = true;
        return options;
      }()) {}

}  // namespace sp::nn::optim
