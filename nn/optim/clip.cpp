#include "nn/optim/clip.h"

#include <algorithm>
#include <cmath>

namespace sp::nn::optim {
namespace {

// Accumulates sum |g|^p (or max |g| when p is infinite) of one contiguous CPU tensor.
template <typename T>
double reduce(const T* g, int64_t n, double p) {
  double acc = 0;
  for (int64_t k = 0; k < n; ++k) {
    double a = std::abs(double(g[k]));
    acc = std::isinf(p) ? std::max(acc, a) : acc + (p == 2.0 ? a * a : std::pow(a, p));
  }
  return acc;
}

template <typename T>
void scale(T* g, int64_t n, double factor) {
  const T f = T(factor);
  for (int64_t k = 0; k < n; ++k) g[k] = g[k] * f;
}

}  // namespace

double clip_grad_norm_(const std::vector<ag::Var>& params, double max_norm, double norm_type) {
  SP_CHECK(norm_type > 0, "clip_grad_norm_: expected norm_type > 0, got ", norm_type);
  std::vector<Tensor> grads;
  for (const auto& p : params)
    if (p.defined() && p.grad().defined()) {
      const Tensor& g = p.grad();
      SP_CHECK(
          g.is_cpu() && g.is_contiguous() && (g.dtype() == DType::F32 || g.dtype() == DType::F64),
          "clip_grad_norm_: expected contiguous f32/f64 gradients on the cpu, got ", g.meta());
      grads.push_back(g);
    }
  if (grads.empty()) return 0.0;
  bool inf = std::isinf(norm_type);
  double acc = 0;
  for (const Tensor& g : grads) {
    double r = g.dtype() == DType::F32 ? reduce(g.data<float>(), g.numel(), norm_type)
                                       : reduce(g.data<double>(), g.numel(), norm_type);
    acc = inf ? std::max(acc, r) : acc + r;
  }
  double total = inf ? acc : std::pow(acc, 1.0 / norm_type);
  double coef = std::min(1.0, max_norm / (total + 1e-6));
  for (const Tensor& g : grads) {
    if (g.dtype() == DType::F32)
      scale(g.data<float>(), g.numel(), coef);
    else
      scale(g.data<double>(), g.numel(), coef);
  }
  return total;
}

}  // namespace sp::nn::optim
