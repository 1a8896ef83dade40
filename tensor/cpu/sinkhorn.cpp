// CPU Sinkhorn steps (tensor/ops/sinkhorn.h). Rows of Z are contiguous, so every step runs
// along rows with vector loops (gemm_tile.h's Vec and vexp): the row log-sum-exp per row;
// the column log-sum-exp per chunk of kChunk columns sweeping all rows twice (max, then
// sum of exps), which keeps the chunk's accumulators in L1. OpenMP over (batch, row) or
// (batch, column chunk).
#include "tensor/ops/sinkhorn.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/cpu/gemm_tile.h"
#include "tensor/dispatch.h"

namespace sp::cpu {
namespace {

using namespace tile;
constexpr int64_t kChunk = 256;

// f(j, lanes) over [0, n): whole vectors, then one scalar at a time (lanes == 1).
template <typename T, typename V, typename S>
void lanes(int64_t n, const V& vec, const S& scalar) {
  int64_t j = 0;
  for (; j + kLanes<T> <= n; j += kLanes<T>) vec(j);
  for (; j < n; ++j) scalar(j);
}

// log sum_j exp(z_j + a_j) (a: per-column addend), -inf for an empty or all -inf row.
template <typename T>
T row_lse(const T* z, const T* a, int64_t n) {
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  Vec<T> mv = splat(ninf);
  T m = ninf;
  lanes<T>(
      n, [&](int64_t j) { mv = vmax<T>(mv, load(z + j) + load(a + j)); },
      [&](int64_t j) { m = std::max(m, z[j] + a[j]); });
  m = std::max(m, hmax<T>(mv));
  if (m == ninf) return ninf;
  Vec<T> sv{};
  T s = 0;
  lanes<T>(
      n, [&](int64_t j) { sv += vexp(load(z + j) + load(a + j) - m); },
      [&](int64_t j) { s += std::exp(z[j] + a[j] - m); });
  return m + std::log(s + hsum<T>(sv));
}

struct SinkhornDims {
  int64_t b, r, c;
};
SinkhornDims dims(const Tensor& Z) {
  return {Z.size(0), Z.size(1), Z.size(2)};
}

}  // namespace

void sinkhorn_rows(const Tensor& u, const Tensor& Z, const Tensor& log_mu, const Tensor& v) {
  const SinkhornDims d = dims(Z);
  dispatch_float(Z.dtype(), "log_sinkhorn", [&]<typename T>() {
    const T *z = Z.data<T>(), *mu = log_mu.data<T>(), *pv = v.data<T>();
    T* pu = u.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t bi = 0; bi < d.b * d.r; ++bi)
      pu[bi] = mu[bi] - row_lse(z + bi * d.c, pv + (bi / d.r) * d.c, d.c);
  });
}

void sinkhorn_cols(const Tensor& v, const Tensor& Z, const Tensor& log_nu, const Tensor& u) {
  const SinkhornDims d = dims(Z);
  const int64_t chunks = (d.c + kChunk - 1) / kChunk;
  dispatch_float(Z.dtype(), "log_sinkhorn", [&]<typename T>() {
    constexpr T ninf = -std::numeric_limits<T>::infinity();
    const T *z = Z.data<T>(), *nu = log_nu.data<T>(), *pu = u.data<T>();
    T* pv = v.data<T>();
#pragma omp parallel
    {
      std::vector<T> mx(kChunk), sum(kChunk);
#pragma omp for schedule(static)
      for (int64_t item = 0; item < d.b * chunks; ++item) {
        const int64_t b = item / chunks, j0 = (item % chunks) * kChunk,
                      n = std::min(kChunk, d.c - j0);
        const T* zb = z + b * d.r * d.c + j0;
        std::fill(mx.begin(), mx.end(), ninf);
        std::fill(sum.begin(), sum.end(), T(0));
        for (int64_t i = 0; i < d.r; ++i) {
          const T* row = zb + i * d.c;
          const T ui = pu[b * d.r + i];
          lanes<T>(
              n,
              [&](int64_t j) {
                store(&mx[size_t(j)], vmax<T>(load(&mx[size_t(j)]), load(row + j) + ui));
              },
              [&](int64_t j) { mx[size_t(j)] = std::max(mx[size_t(j)], row[j] + ui); });
        }
        for (int64_t i = 0; i < d.r; ++i) {
          const T* row = zb + i * d.c;
          const T ui = pu[b * d.r + i];
          lanes<T>(
              n,
              [&](int64_t j) {
                const Vec<T> m = load(&mx[size_t(j)]);
                // A column whose max is -inf adds exp(-inf - -inf): keep it out (it stays 0).
                const Vec<T> e = vexp(load(row + j) + ui - (m == splat(ninf) ? splat(T(0)) : m));
                store(&sum[size_t(j)], load(&sum[size_t(j)]) + e);
              },
              [&](int64_t j) {
                if (mx[size_t(j)] != ninf) sum[size_t(j)] += std::exp(row[j] + ui - mx[size_t(j)]);
              });
        }
        for (int64_t j = 0; j < n; ++j) {
          const T lse = mx[size_t(j)] == ninf ? ninf : mx[size_t(j)] + std::log(sum[size_t(j)]);
          pv[b * d.c + j0 + j] = nu[b * d.c + j0 + j] - lse;
        }
      }
    }
  });
}

void sinkhorn_cols_backward(const Tensor& dZ, const Tensor& du, const Tensor& Z,
                            const Tensor& log_nu, const Tensor& u, const Tensor& v,
                            const Tensor& dv) {
  const SinkhornDims d = dims(Z);
  dispatch_float(Z.dtype(), "log_sinkhorn_backward", [&]<typename T>() {
    const T *z = Z.data<T>(), *nu = log_nu.data<T>(), *pu = u.data<T>(), *pv = v.data<T>(),
            *pdv = dv.data<T>();
    T *dz = dZ.data<T>(), *pdu = du.data<T>();
    // w_j = v_j - log_nu_j: the column plan is exp(Z_ij + u_i + w_j).
    std::vector<T> w(size_t(d.b * d.c));
    for (int64_t j = 0; j < d.b * d.c; ++j) w[size_t(j)] = pv[j] - nu[j];
#pragma omp parallel for schedule(static)
    for (int64_t bi = 0; bi < d.b * d.r; ++bi) {
      const int64_t b = bi / d.r;
      const T* row = z + bi * d.c;
      const T* wb = w.data() + b * d.c;
      const T* g = pdv + b * d.c;
      T* out = dz + bi * d.c;
      const T ui = pu[bi];
      Vec<T> accv{};
      T acc = 0;
      lanes<T>(
          d.c,
          [&](int64_t j) {
            const Vec<T> pg = vexp(load(row + j) + ui + load(wb + j)) * load(g + j);
            store(out + j, load(out + j) - pg);
            accv += pg;
          },
          [&](int64_t j) {
            const T pg = std::exp(row[j] + ui + wb[j]) * g[j];
            out[j] -= pg;
            acc += pg;
          });
      pdu[bi] = -(acc + hsum<T>(accv));
    }
  });
}

void sinkhorn_rows_backward(const Tensor& dZ, const Tensor& dv_prev, const Tensor& Z,
                            const Tensor& log_mu, const Tensor& u, const Tensor& v_prev,
                            const Tensor& du) {
  const SinkhornDims d = dims(Z);
  const int64_t chunks = (d.c + kChunk - 1) / kChunk;
  dispatch_float(Z.dtype(), "log_sinkhorn_backward", [&]<typename T>() {
    const T *z = Z.data<T>(), *mu = log_mu.data<T>(), *pu = u.data<T>(), *pv = v_prev.data<T>(),
            *pdu = du.data<T>();
    T *dz = dZ.data<T>(), *out = dv_prev.data<T>();
#pragma omp parallel
    {
      std::vector<T> acc(kChunk);
#pragma omp for schedule(static)
      for (int64_t item = 0; item < d.b * chunks; ++item) {
        const int64_t b = item / chunks, j0 = (item % chunks) * kChunk,
                      n = std::min(kChunk, d.c - j0);
        std::fill(acc.begin(), acc.end(), T(0));
        const T* vb = pv + b * d.c + j0;
        for (int64_t i = 0; i < d.r; ++i) {
          const int64_t bi = b * d.r + i;
          const T* row = z + bi * d.c + j0;
          T* drow = dz + bi * d.c + j0;
          const T shift = pu[bi] - mu[bi],
                  g = pdu[bi];  // the row plan is exp(Z_ij + v_j + u_i - log_mu_i)
          lanes<T>(
              n,
              [&](int64_t j) {
                const Vec<T> pg = vexp(load(row + j) + load(vb + j) + shift) * g;
                store(drow + j, load(drow + j) - pg);
                store(&acc[size_t(j)], load(&acc[size_t(j)]) + pg);
              },
              [&](int64_t j) {
                const T pg = std::exp(row[j] + vb[j] + shift) * g;
                drow[j] -= pg;
                acc[size_t(j)] += pg;
              });
        }
        for (int64_t j = 0; j < n; ++j) out[b * d.c + j0 + j] = -acc[size_t(j)];
      }
    }
  });
}

}  // namespace sp::cpu
