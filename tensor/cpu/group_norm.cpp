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

#include "tensor/cpu/gemm_tile.h"
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

// ---- layer norm in f32 (S = 1, one group): explicit vectors with four independent
// accumulators per reduction (a row of a few hundred values sits in L1, where a single
// accumulator would make every pass wait on the add latency).
using tile::kLanes;
using tile::load;
using tile::store;
using V = tile::Vec<float>;
constexpr int64_t kL = kLanes<float>;

// sum of (x - shift)^power over a row, power 1 or 2, accumulated in double per 4 vectors.
template <int power>
double row_sum(const float* x, int64_t n, float shift) {
  V a0{}, a1{}, a2{}, a3{};
  const V sh = tile::splat(shift);
  auto f = [&](V v) {
    v = v - sh;
    return power == 1 ? v : v * v;
  };
  int64_t j = 0;
  for (; j + 4 * kL <= n; j += 4 * kL) {
    a0 += f(load(x + j));
    a1 += f(load(x + j + kL));
    a2 += f(load(x + j + 2 * kL));
    a3 += f(load(x + j + 3 * kL));
  }
  for (; j + kL <= n; j += kL) a0 += f(load(x + j));
  double total = double(tile::hsum<float>((a0 + a1) + (a2 + a3)));
  for (; j < n; ++j)
    total += power == 1 ? double(x[j] - shift) : double(x[j] - shift) * double(x[j] - shift);
  return total;
}

void layer_norm_f32(float* out, float* mean, float* rstd, const float* x, const float* w,
                    const float* b, int64_t rows, int64_t n, double eps) {
#pragma omp parallel for schedule(static) if (rows * n >= kParallelElements)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = out + r * n;
    const float mu = float(row_sum<1>(xr, n, 0.0f) / double(n));
    // about the rounded mean: the deviations' sum absorbs the rounding (var >= 0 exactly)
    const double var = row_sum<2>(xr, n, mu) / double(n);
    const float rs = float(1.0 / std::sqrt(var + eps));
    mean[r] = mu;
    rstd[r] = rs;
    const V vm = tile::splat(mu), vr = tile::splat(rs);
    int64_t j = 0;
    if (w && b) {
      for (; j + kL <= n; j += kL)
        store(yr + j, (load(xr + j) - vm) * vr * load(w + j) + load(b + j));
    } else if (!w && !b) {
      for (; j + kL <= n; j += kL) store(yr + j, (load(xr + j) - vm) * vr);
    }
    for (; j < n; ++j) yr[j] = (xr[j] - mu) * rs * (w ? w[j] : 1.0f) + (b ? b[j] : 0.0f);
  }
}

// dx = r (w g - s1 / n - xhat s2 / n) with s1 = sum(w g), s2 = sum(w g xhat); per-thread
// f32 partials of dw = sum(g xhat), db = sum(g) added in order.
void layer_norm_backward_f32(float* gx, float* gw, float* gb, const float* g, const float* x,
                             const float* w, const float* mean, const float* rstd, int64_t rows,
                             int64_t n) {
  const bool parallel = rows * n >= kParallelElements;
  const int threads = parallel ? omp_get_max_threads() : 1;
  std::vector<float> partial(gw ? size_t(threads) * 2 * size_t(n) : 0, 0.0f);
#pragma omp parallel num_threads(threads) if (parallel)
  {
    float* dw = gw ? partial.data() + size_t(omp_get_thread_num()) * 2 * size_t(n) : nullptr;
    float* db = gw ? dw + n : nullptr;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const float *xr = x + r * n, *gr = g + r * n;
      float* dr = gx + r * n;
      const float mu = mean[r], rs = rstd[r];
      const V vm = tile::splat(mu), vr = tile::splat(rs);
      V a0{}, a1{}, c0{}, c1{};  // sum(w g), sum(w g xhat), two accumulators each
      int64_t j = 0;
      for (; j + 2 * kL <= n; j += 2 * kL) {
        const V g0 = load(gr + j) * (w ? load(w + j) : tile::splat(1.0f));
        const V g1 = load(gr + j + kL) * (w ? load(w + j + kL) : tile::splat(1.0f));
        a0 += g0;
        a1 += g1;
        c0 += g0 * ((load(xr + j) - vm) * vr);
        c1 += g1 * ((load(xr + j + kL) - vm) * vr);
      }
      float s1 = tile::hsum<float>(a0 + a1), s2 = tile::hsum<float>(c0 + c1);
      for (; j < n; ++j) {
        const float gwj = gr[j] * (w ? w[j] : 1.0f);
        s1 += gwj;
        s2 += gwj * (xr[j] - mu) * rs;
      }
      const float k1 = s1 / float(n), k2 = s2 / float(n);
      const V vk1 = tile::splat(k1), vk2 = tile::splat(k2);
      j = 0;
      for (; j + kL <= n; j += kL) {
        const V xh = (load(xr + j) - vm) * vr, gv = load(gr + j);
        const V gwv = gv * (w ? load(w + j) : tile::splat(1.0f));
        store(dr + j, vr * (gwv - vk1 - xh * vk2));
        if (dw) {
          store(dw + j, load(dw + j) + gv * xh);
          store(db + j, load(db + j) + gv);
        }
      }
      for (; j < n; ++j) {
        const float xh = (xr[j] - mu) * rs;
        dr[j] = rs * (gr[j] * (w ? w[j] : 1.0f) - k1 - xh * k2);
        if (dw) {
          dw[j] += gr[j] * xh;
          db[j] += gr[j];
        }
      }
    }
  }
  if (!gw) return;
  for (int64_t c = 0; c < n; ++c) {
    float sw = 0, sb = 0;
    for (int t = 0; t < threads; ++t) {
      sw += partial[size_t(t) * 2 * size_t(n) + size_t(c)];
      sb += partial[(size_t(t) * 2 + 1) * size_t(n) + size_t(c)];
    }
    gw[c] = sw;
    if (gb) gb[c] = sb;
  }
}

}  // namespace

void group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                const Tensor& weight, const Tensor& bias, GroupNormDims d, double eps) {
  if (x.dtype() == DType::F32 && d.s == 1 && d.g == 1)
    return layer_norm_f32(out.data<float>(), mean.data<float>(), rstd.data<float>(),
                          x.data<float>(), weight.defined() ? weight.data<float>() : nullptr,
                          bias.defined() ? bias.data<float>() : nullptr, d.n, d.c, eps);
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
  if (x.dtype() == DType::F32 && d.s == 1 && d.g == 1)
    return layer_norm_backward_f32(
        grad_input.data<float>(), grad_weight.defined() ? grad_weight.data<float>() : nullptr,
        grad_bias.defined() ? grad_bias.data<float>() : nullptr, grad.data<float>(),
        x.data<float>(), weight.defined() ? weight.data<float>() : nullptr, mean.data<float>(),
        rstd.data<float>(), d.n, d.c);
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
