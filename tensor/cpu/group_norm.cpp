// CPU kernels of tensor/ops/group_norm.h. One (sample, group) at a time, OpenMP over
// them: the mean, then the squared deviations (two passes over a group that is in cache
// for layer norm), then y = x a + b per channel. Sums run in the compute type in chunks of
// kChunk (vectorised), the chunks added in double. The weight/bias gradients are summed
// per thread in double and the threads' partials added in order (deterministic for a
// given thread count).
#include "tensor/ops/group_norm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/dispatch.h"
#include "tensor/math/elementwise_math.h"

namespace sp::cpu {
namespace {

using math::compute_t;
constexpr int64_t kChunk = 2048;
constexpr int64_t kParallelElements = 16384;

template <typename T, typename F>
double chunked_sum(const T* p, int64_t m, const F& f) {
  using A = compute_t<T>;
  double total = 0;
  for (int64_t i0 = 0; i0 < m; i0 += kChunk) {
    const int64_t e = std::min(m, i0 + kChunk);
    A s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = i0; i < e; ++i) s += f(A(p[i]));
    total += double(s);
  }
  return total;
}

template <typename T>
using stat_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

}  // namespace

void group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                const Tensor& weight, const Tensor& bias, GroupNormDims d, double eps) {
  dispatch_floating(x.dtype(), "group_norm", [&]<typename T>() {
    using A = compute_t<T>;
    using St = stat_t<T>;
    const T* px = x.data<T>();
    T* po = out.data<T>();
    const T* pw = weight.defined() ? weight.data<T>() : nullptr;
    const T* pb = bias.defined() ? bias.data<T>() : nullptr;
    St* pm = mean.data<St>();
    St* pr = rstd.data<St>();
    const int64_t cg = d.c / d.g, m = cg * d.s;
#pragma omp parallel for schedule(static) if (d.n * d.c * d.s >= kParallelElements)
    for (int64_t item = 0; item < d.n * d.g; ++item) {
      const int64_t n = item / d.g, g = item % d.g;
      const int64_t c0 = g * cg;
      const T* xg = px + (n * d.c + c0) * d.s;
      T* og = po + (n * d.c + c0) * d.s;
      const double mu = m > 0 ? chunked_sum(xg, m, [](A v) { return v; }) / double(m) : 0.0;
      const A mu_a = A(mu);
      const double var =
          m > 0 ? chunked_sum(xg, m, [mu_a](A v) { return (v - mu_a) * (v - mu_a); }) / double(m)
                : 0.0;
      const double r = 1.0 / std::sqrt(var + eps);
      pm[item] = St(mu);
      pr[item] = St(r);
      const A ra = A(r);
      if (d.s == 1) {  // layer norm: one element per channel
#pragma omp simd
        for (int64_t c = 0; c < cg; ++c) {
          const A w = pw ? A(pw[c0 + c]) : A(1), b = pb ? A(pb[c0 + c]) : A(0);
          og[c] = T((A(xg[c]) - mu_a) * ra * w + b);
        }
      } else {
        for (int64_t c = 0; c < cg; ++c) {
          const A a = ra * (pw ? A(pw[c0 + c]) : A(1));
          const A b = (pb ? A(pb[c0 + c]) : A(0)) - mu_a * a;
          const T* xc = xg + c * d.s;
          T* oc = og + c * d.s;
#pragma omp simd
          for (int64_t s = 0; s < d.s; ++s) oc[s] = T(A(xc[s]) * a + b);
        }
      }
    }
  });
}

void group_norm_backward(const Tensor& grad_input, const Tensor& grad_weight,
                         const Tensor& grad_bias, const Tensor& grad, const Tensor& x,
                         const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                         GroupNormDims d) {
  dispatch_floating(x.dtype(), "group_norm_backward", [&]<typename T>() {
    using A = compute_t<T>;
    using St = stat_t<T>;
    const T* px = x.data<T>();
    const T* pg = grad.data<T>();
    T* pgi = grad_input.data<T>();
    const T* pw = weight.defined() ? weight.data<T>() : nullptr;
    const St* pm = mean.data<St>();
    const St* pr = rstd.data<St>();
    const bool affine_grads = grad_weight.defined();
    const int64_t cg = d.c / d.g, m = cg * d.s;
    const bool parallel = d.n * d.c * d.s >= kParallelElements;
    const int threads = parallel ? omp_get_max_threads() : 1;
    // Per-thread partial sums: [thread][2][C] (g * xhat, g).
    std::vector<double> partial(affine_grads ? size_t(threads) * 2 * size_t(d.c) : 0, 0.0);
#pragma omp parallel num_threads(threads) if (parallel)
    {
      double* dw =
          affine_grads ? partial.data() + size_t(omp_get_thread_num()) * 2 * size_t(d.c) : nullptr;
      double* db = affine_grads ? dw + d.c : nullptr;
#pragma omp for schedule(static)
      for (int64_t item = 0; item < d.n * d.g; ++item) {
        const int64_t n = item / d.g, g = item % d.g, c0 = g * cg;
        const int64_t base = (n * d.c + c0) * d.s;
        const T* xg = px + base;
        const T* gg = pg + base;
        T* ig = pgi + base;
        const A mu = A(pm[item]), r = A(pr[item]);
        if (d.s == 1) {  // layer norm: vectorised over the channels
          A a1 = 0, a2 = 0;
#pragma omp simd reduction(+ : a1, a2)
          for (int64_t c = 0; c < cg; ++c) {
            const A gw = A(gg[c]) * (pw ? A(pw[c0 + c]) : A(1));
            a1 += gw;
            a2 += gw * (A(xg[c]) - mu);
          }
          if (affine_grads) {
#pragma omp simd
            for (int64_t c = 0; c < cg; ++c) {
              const A gv = A(gg[c]);
              dw[c0 + c] += double(gv * (A(xg[c]) - mu) * r);
              db[c0 + c] += double(gv);
            }
          }
          const A k1 = r * a1 / A(m), k2 = r * r * r * a2 / A(m);
#pragma omp simd
          for (int64_t c = 0; c < cg; ++c)
            ig[c] = T(r * (pw ? A(pw[c0 + c]) : A(1)) * A(gg[c]) - k1 - (A(xg[c]) - mu) * k2);
          continue;
        }
        // sum(dy w) and sum(dy w (x - mu)) over the group
        double s1 = 0, s2 = 0;
        for (int64_t c = 0; c < cg; ++c) {
          const A w = pw ? A(pw[c0 + c]) : A(1);
          A a1 = 0, a2 = 0;
          const int64_t o = c * d.s;
#pragma omp simd reduction(+ : a1, a2)
          for (int64_t s = 0; s < d.s; ++s) {
            const A gv = A(gg[o + s]);
            a1 += gv;
            a2 += gv * (A(xg[o + s]) - mu);
          }
          s1 += double(a1) * double(w);
          s2 += double(a2) * double(w);
          if (affine_grads) {
            dw[c0 + c] += double(a2) * double(r);
            db[c0 + c] += double(a1);
          }
        }
        // dx = r w dy - r s1 / m - (x - mu) r^3 s2 / m
        const A k1 = A(double(r) * s1 / double(m));
        const A k2 = A(double(r) * double(r) * double(r) * s2 / double(m));
        for (int64_t c = 0; c < cg; ++c) {
          const A rw = r * (pw ? A(pw[c0 + c]) : A(1));
          const int64_t o = c * d.s;
#pragma omp simd
          for (int64_t s = 0; s < d.s; ++s)
            ig[o + s] = T(rw * A(gg[o + s]) - k1 - (A(xg[o + s]) - mu) * k2);
        }
      }
    }
    if (affine_grads) {
      T* pdw = grad_weight.data<T>();
      T* pdb = grad_bias.defined() ? grad_bias.data<T>() : nullptr;
      for (int64_t c = 0; c < d.c; ++c) {
        double w = 0, b = 0;
        for (int t = 0; t < threads; ++t) {
          w += partial[size_t(t) * 2 * size_t(d.c) + size_t(c)];
          b += partial[(size_t(t) * 2 + 1) * size_t(d.c) + size_t(c)];
        }
        pdw[c] = T(w);
        if (pdb) pdb[c] = T(b);
      }
    }
  });
}

}  // namespace sp::cpu
