// CPU softmax / log_softmax over the middle dim of a contiguous [outer, size, inner]
// tensor: max, then sum of exp(x - max), then the normalised output. With inner > 1 the
// three passes run over tiles of kTile columns so the inner loops are contiguous.
#include "tensor/ops/softmax.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "tensor/dispatch.h"
#include "tensor/math/elementwise_math.h"

namespace sp::cpu {
namespace {

constexpr int64_t kTile = 256;

template <typename T>
void softmax_kernel(const T* x, T* y, int64_t outer, int64_t size, int64_t inner, bool log) {
  using C = math::compute_t<T>;
  // Sums of exponentials in double for f32 and below: a sequential f32 sum over a long
  // row (300k elements) drifts by ~2e-4 relative, the CUDA tree reduction does not.
  using S = double;
  const int64_t tiles = (inner + kTile - 1) / kTile;
#pragma omp parallel for schedule(static) if (outer * size * inner >= 16384)
  for (int64_t job = 0; job < outer * tiles; ++job) {
    const int64_t o = job / tiles, i0 = (job % tiles) * kTile;
    const int64_t width = std::min(kTile, inner - i0);
    const T* xs = x + o * size * inner + i0;
    T* ys = y + o * size * inner + i0;
    C mx[kTile];
    S total[kTile];
    for (int64_t i = 0; i < width; ++i) mx[i] = -INFINITY, total[i] = 0;
    for (int64_t r = 0; r < size; ++r)
      for (int64_t i = 0; i < width; ++i) mx[i] = math::Maximum{}(mx[i], C(xs[r * inner + i]));
    // f32/f64 keep exp(x - max) in the output so the last pass only scales it.
    constexpr bool keep_exp = std::is_same_v<T, C>;
    for (int64_t r = 0; r < size; ++r)
      for (int64_t i = 0; i < width; ++i) {
        const C e = math::exp_(C(xs[r * inner + i]) - mx[i]);
        total[i] += e;
        if constexpr (keep_exp) {
          if (!log) ys[r * inner + i] = e;
        }
      }
    if (log) {
      // (x - max) - log(sum), not x - (max + log(sum)): keeps precision for large x
      C log_total[kTile];
      for (int64_t i = 0; i < width; ++i) log_total[i] = C(std::log(total[i]));
      for (int64_t r = 0; r < size; ++r)
        for (int64_t i = 0; i < width; ++i)
          ys[r * inner + i] = convert<T>((C(xs[r * inner + i]) - mx[i]) - log_total[i]);
    } else {
      C scale[kTile];
      for (int64_t i = 0; i < width; ++i) scale[i] = C(1.0 / total[i]);
      for (int64_t r = 0; r < size; ++r)
        for (int64_t i = 0; i < width; ++i) {
          if constexpr (keep_exp)
            ys[r * inner + i] *= scale[i];
          else
            ys[r * inner + i] = convert<T>(math::exp_(C(xs[r * inner + i]) - mx[i]) * scale[i]);
        }
    }
  }
}

}  // namespace

void softmax(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner,
             bool log) {
  SP_ASSERT(in.is_contiguous() && out.is_contiguous() && in.dtype() == out.dtype());
  dispatch_floating(in.dtype(), log ? "log_softmax" : "softmax", [&]<typename T>() {
    softmax_kernel(static_cast<const T*>(in.data_ptr()), static_cast<T*>(out.data_ptr()), outer,
                   size, inner, log);
  });
}

}  // namespace sp::cpu
