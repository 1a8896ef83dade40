// CPU batch norm: one OpenMP task per channel; sums accumulate in double.
#include "tensor/ops/norm.h"

#include <algorithm>
#include <cmath>

#include "tensor/dispatch.h"

namespace sp::cpu {
namespace {

struct Dims3 {
  int64_t n, c, s;
};
Dims3 dims3(const Tensor& t) {
  int64_t s = 1;
  for (int d = 2; d < t.dim(); ++d) s *= t.size(d);
  return {t.size(0), t.size(1), s};
}

template <typename T>
T at(const Tensor& t, int64_t i, T fallback) {
  return t.defined() ? t.data<T>()[i * t.stride(0)] : fallback;
}

}  // namespace

void batch_norm_stats(const Tensor& input, const Tensor& save_mean, const Tensor& save_invstd,
                      const Tensor& running_mean, const Tensor& running_var, double momentum,
                      double eps) {
  const Dims3 d = dims3(input);
  const double count = double(d.n * d.s);
  dispatch_float(input.dtype(), "batch_norm", [&]<typename T>() {
    const T* x = input.data<T>();
#pragma omp parallel for schedule(static) if (input.numel() > 32768)
    for (int64_t c = 0; c < d.c; ++c) {
      // Two passes: the mean, then the biased variance about it.
      // The sums are in double, split over the vector lanes (omp simd) then added up.
      double sum = 0, sq = 0;
      for (int64_t n = 0; n < d.n; ++n) {
        const T* xr = x + (n * d.c + c) * d.s;
#pragma omp simd reduction(+ : sum)
        for (int64_t s = 0; s < d.s; ++s) sum += xr[s];
      }
      const double m = sum / count;
      for (int64_t n = 0; n < d.n; ++n) {
        const T* xr = x + (n * d.c + c) * d.s;
#pragma omp simd reduction(+ : sq)
        for (int64_t s = 0; s < d.s; ++s) {
          const double v = xr[s] - m;
          sq += v * v;
        }
      }
      const double var = sq / count;
      save_mean.data<T>()[c * save_mean.stride(0)] = T(m);
      save_invstd.data<T>()[c * save_invstd.stride(0)] = T(1.0 / std::sqrt(var + eps));
      if (running_mean.defined()) {
        T& r = running_mean.data<T>()[c * running_mean.stride(0)];
        r = T((1 - momentum) * double(r) + momentum * m);
      }
      if (running_var.defined()) {
        T& r = running_var.data<T>()[c * running_var.stride(0)];
        r = T((1 - momentum) * double(r) + momentum * var * count / std::max(count - 1, 1.0));
      }
    }
  });
}

void batch_norm_invstd(const Tensor& invstd, const Tensor& var, double eps) {
  dispatch_float(var.dtype(), "batch_norm", [&]<typename T>() {
    for (int64_t c = 0; c < var.numel(); ++c)
      invstd.data<T>()[c * invstd.stride(0)] =
          T(1.0 / std::sqrt(double(var.data<T>()[c * var.stride(0)]) + eps));
  });
}

namespace {

void apply_affine(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                  const Tensor& mean, const Tensor& invstd, bool relu) {
  const Dims3 d = dims3(input);
  dispatch_float(input.dtype(), "batch_norm", [&]<typename T>() {
    const T* x = input.data<T>();
    T* y = out.data<T>();
#pragma omp parallel for schedule(static) if (input.numel() > 32768)
    for (int64_t c = 0; c < d.c; ++c) {
      const T scale = at<T>(invstd, c, T(1)) * at<T>(weight, c, T(1));
      const T shift = at<T>(bias, c, T(0)) - at<T>(mean, c, T(0)) * scale;
      for (int64_t n = 0; n < d.n; ++n) {
        const T* xr = x + (n * d.c + c) * d.s;
        T* yr = y + (n * d.c + c) * d.s;
        if (relu) {
          for (int64_t s = 0; s < d.s; ++s) yr[s] = std::max(xr[s] * scale + shift, T(0));
        } else {
          for (int64_t s = 0; s < d.s; ++s) yr[s] = xr[s] * scale + shift;
        }
      }
    }
  });
}

}  // namespace

void batch_norm_apply(const Tensor& out, const Tensor& input, const Tensor& weight,
                      const Tensor& bias, const Tensor& mean, const Tensor& invstd) {
  apply_affine(out, input, weight, bias, mean, invstd, false);
}

void batch_norm_apply_relu(const Tensor& out, const Tensor& input, const Tensor& weight,
                           const Tensor& bias, const Tensor& mean, const Tensor& invstd) {
  apply_affine(out, input, weight, bias, mean, invstd, true);
}

void batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                         const Tensor& mean, const Tensor& invstd, bool training) {
  const Dims3 d = dims3(input);
  const double count = double(d.n * d.s);
  dispatch_float(input.dtype(), "batch_norm_backward", [&]<typename T>() {
    const T* x = input.data<T>();
    const T* go = grad_out.data<T>();
    T* gi = grad_in.data<T>();
    T* gw = grad_weight.data<T>();
    T* gb = grad_bias.data<T>();
#pragma omp parallel for schedule(static) if (input.numel() > 32768)
    for (int64_t c = 0; c < d.c; ++c) {
      const double m = at<T>(mean, c, T(0)), istd = at<T>(invstd, c, T(1)),
                   w = at<T>(weight, c, T(1));
      double sum_go = 0, sum_go_xhat = 0;
      for (int64_t n = 0; n < d.n; ++n) {
        const int64_t row = (n * d.c + c) * d.s;
#pragma omp simd reduction(+ : sum_go, sum_go_xhat)
        for (int64_t s = 0; s < d.s; ++s) {
          sum_go += go[row + s];
          sum_go_xhat += go[row + s] * (x[row + s] - m) * istd;
        }
      }
      gb[c] = T(sum_go);
      gw[c] = T(sum_go_xhat);
      // Training: the batch statistics depend on x, which adds the two mean terms.
      const double mean_go = training ? sum_go / count : 0.0;
      const double mean_go_xhat = training ? sum_go_xhat / count : 0.0;
      for (int64_t n = 0; n < d.n; ++n) {
        const int64_t row = (n * d.c + c) * d.s;
#pragma omp simd
        for (int64_t s = 0; s < d.s; ++s) {
          const double xhat = (x[row + s] - m) * istd;
          gi[row + s] = T(w * istd * (go[row + s] - mean_go - xhat * mean_go_xhat));
        }
      }
    }
  });
}

}  // namespace sp::cpu
