// CPU reduction kernels over a contiguous [outer, size, inner] layout. With inner == 1
// each output is a contiguous row, summed pairwise with 8 independent lanes (vectorises,
// error O(log n)); otherwise rows are accumulated column-wise in blocks of kRowBlock,
// each block into a fresh partial (error O(size / kRowBlock + kRowBlock)).
#include "tensor/ops/reduce.h"

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "tensor/dispatch.h"
#include "tensor/math/elementwise_math.h"

namespace sp::cpu {
namespace {

using math::compute_t;
using math::is_nan;

template <typename T>
using acc_t = std::conditional_t<math::is_float_v<compute_t<T>>, compute_t<T>, int64_t>;

// Each op: Acc identity(), Acc map(C), Acc combine(Acc, Acc), Out finalize(Acc, n).
template <typename Acc>
struct SumOp {
  Acc identity() const { return Acc(0); }
  template <typename C>
  Acc map(C x) const {
    return Acc(x);
  }
  Acc combine(Acc a, Acc b) const { return a + b; }
  Acc finalize(Acc a, int64_t) const { return a; }
};
template <typename Acc>
struct ProdOp {
  Acc identity() const { return Acc(1); }
  template <typename C>
  Acc map(C x) const {
    return Acc(x);
  }
  Acc combine(Acc a, Acc b) const { return a * b; }
  Acc finalize(Acc a, int64_t) const { return a; }
};
template <typename Acc>
struct MeanOp : SumOp<Acc> {
  Acc finalize(Acc a, int64_t n) const { return a / Acc(n); }
};
template <typename Acc, bool kMax>
struct ExtremumOp {  // NaN-propagating max/min
  Acc identity() const {
    if constexpr (math::is_float_v<Acc>)
      return kMax ? -INFINITY : INFINITY;
    else
      return kMax ? std::numeric_limits<Acc>::lowest() : std::numeric_limits<Acc>::max();
  }
  template <typename C>
  Acc map(C x) const {
    return Acc(x);
  }
  Acc combine(Acc a, Acc b) const { return kMax ? math::Maximum{}(a, b) : math::Minimum{}(a, b); }
  Acc finalize(Acc a, int64_t) const { return a; }
};
template <bool kAny>
struct AnyAllOp {
  bool identity() const { return !kAny; }
  template <typename C>
  bool map(C x) const {
    return x != C(0);
  }
  bool combine(bool a, bool b) const { return kAny ? (a || b) : (a && b); }
  bool finalize(bool a, int64_t) const { return a; }
};
// p-norms: kind 2 (sqrt of sum of squares), 1 (sum |x|), 0 (count), 3 (general p),
// 4 (max |x|), 5 (min |x|).
template <typename Acc>
struct NormOp {
  int kind;
  Acc p;
  Acc identity() const { return kind == 4 ? Acc(0) : kind == 5 ? Acc(INFINITY) : Acc(0); }
  template <typename C>
  Acc map(C x) const {
    Acc a = math::fabs_(Acc(x));
    switch (kind) {
      case 2:
        return a * a;
      case 0:
        return a != Acc(0) ? Acc(1) : Acc(0);
      case 3:
        return math::pow_(a, p);
      default:
        return a;
    }
  }
  Acc combine(Acc a, Acc b) const {
    if (kind == 4) return math::Maximum{}(a, b);
    if (kind == 5) return math::Minimum{}(a, b);
    return a + b;
  }
  Acc finalize(Acc a, int64_t) const {
    if (kind == 2) return math::sqrt_(a);
    if (kind == 3) return math::pow_(a, Acc(1) / p);
    return a;
  }
};

constexpr int64_t kPairwiseBase = 128;
constexpr int64_t kRowBlock = 64;
constexpr int64_t kColumnTile = 256;

template <typename T, typename Op>
auto reduce_row(const T* x, int64_t n, const Op& op) {
  using C = compute_t<T>;
  using Acc = decltype(op.identity());
  if (n <= kPairwiseBase) {
    Acc lanes[8];
    for (auto& l : lanes) l = op.identity();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) lanes[k] = op.combine(lanes[k], op.map(C(x[i + k])));
    for (; i < n; ++i) lanes[0] = op.combine(lanes[0], op.map(C(x[i])));
    for (int w = 4; w > 0; w /= 2)
      for (int k = 0; k < w; ++k) lanes[k] = op.combine(lanes[k], lanes[k + w]);
    return lanes[0];
  }
  const int64_t half = ((n / 2) + 7) / 8 * 8;
  return op.combine(reduce_row(x, half, op), reduce_row(x + half, n - half, op));
}

template <typename T, typename Out, typename Op>
void reduce_kernel(const T* in, Out* out, int64_t outer, int64_t size, int64_t inner,
                   const Op& op) {
  using C = compute_t<T>;
  using Acc = decltype(op.identity());
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (outer * size >= 32768 && outer > 1)
    for (int64_t o = 0; o < outer; ++o)
      out[o] = convert<Out>(op.finalize(reduce_row(in + o * size, size, op), size));
    return;
  }
  const int64_t tiles = (inner + kColumnTile - 1) / kColumnTile;
#pragma omp parallel for schedule(static) if (outer * size * inner >= 32768)
  for (int64_t job = 0; job < outer * tiles; ++job) {
    const int64_t o = job / tiles, i0 = (job % tiles) * kColumnTile;
    const int64_t width = std::min(kColumnTile, inner - i0);
    Acc total[kColumnTile], part[kColumnTile];
    for (int64_t i = 0; i < width; ++i) total[i] = op.identity();
    for (int64_t r0 = 0; r0 < size; r0 += kRowBlock) {
      for (int64_t i = 0; i < width; ++i) part[i] = op.identity();
      const int64_t r1 = std::min(size, r0 + kRowBlock);
      for (int64_t r = r0; r < r1; ++r) {
        const T* row = in + (o * size + r) * inner + i0;
        for (int64_t i = 0; i < width; ++i) part[i] = op.combine(part[i], op.map(C(row[i])));
      }
      for (int64_t i = 0; i < width; ++i) total[i] = op.combine(total[i], part[i]);
    }
    for (int64_t i = 0; i < width; ++i)
      out[o * inner + i0 + i] = convert<Out>(op.finalize(total[i], size));
  }
}

int norm_kind(double p) {
  if (p == 2) return 2;
  if (p == 1) return 1;
  if (p == 0) return 0;
  if (std::isinf(p)) return p > 0 ? 4 : 5;
  return 3;
}

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& in, int64_t outer, int64_t size,
            int64_t inner, double p) {
  SP_ASSERT(in.is_contiguous() && out.is_contiguous() && out.numel() == outer * inner);
  dispatch_all(in.dtype(), "reduce", [&]<typename T>() {
    using Acc = acc_t<T>;
    using SumOut = std::conditional_t<math::is_float_v<compute_t<T>>, T, int64_t>;
    const T* x = static_cast<const T*>(in.data_ptr());
    void* o = out.data_ptr();
    switch (op) {
      case ReduceOp::Sum:
        return reduce_kernel(x, static_cast<SumOut*>(o), outer, size, inner, SumOp<Acc>{});
      case ReduceOp::Prod:
        return reduce_kernel(x, static_cast<SumOut*>(o), outer, size, inner, ProdOp<Acc>{});
      case ReduceOp::Amax:
        return reduce_kernel(x, static_cast<T*>(o), outer, size, inner, ExtremumOp<Acc, true>{});
      case ReduceOp::Amin:
        return reduce_kernel(x, static_cast<T*>(o), outer, size, inner, ExtremumOp<Acc, false>{});
      case ReduceOp::Any:
        return reduce_kernel(x, static_cast<bool*>(o), outer, size, inner, AnyAllOp<true>{});
      case ReduceOp::All:
        return reduce_kernel(x, static_cast<bool*>(o), outer, size, inner, AnyAllOp<false>{});
      case ReduceOp::Mean:
      case ReduceOp::Norm:
        if constexpr (math::is_float_v<Acc>) {
          if (op == ReduceOp::Mean)
            return reduce_kernel(x, static_cast<T*>(o), outer, size, inner, MeanOp<Acc>{});
          return reduce_kernel(x, static_cast<T*>(o), outer, size, inner,
                               NormOp<Acc>{norm_kind(p), Acc(p)});
        }
        break;
    }
    SP_ASSERT(false, "reduce: no CPU kernel for ", in.dtype());
  });
}

void arg_reduce(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                int64_t outer, int64_t size, int64_t inner) {
  SP_ASSERT(in.is_contiguous() && size > 0);
  dispatch_all(in.dtype(), "arg_reduce", [&]<typename T>() {
    using C = compute_t<T>;
    const T* x = static_cast<const T*>(in.data_ptr());
    T* pv = values.defined() ? static_cast<T*>(values.data_ptr()) : nullptr;
    int64_t* pi = static_cast<int64_t*>(indices.data_ptr());
#pragma omp parallel for schedule(static) if (outer * size * inner >= 32768 && outer > 1)
    for (int64_t o = 0; o < outer; ++o) {
      std::unique_ptr<C[]> best(new C[inner]);
      std::vector<int64_t> idx(size_t(inner), 0);
      const T* base = x + o * size * inner;
      for (int64_t i = 0; i < inner; ++i) best[i] = C(base[i]);
      for (int64_t r = 1; r < size; ++r) {
        const T* row = base + r * inner;
        for (int64_t i = 0; i < inner; ++i) {
          const C v = C(row[i]);
          const bool better = is_max ? v > best[i] : v < best[i];
          if (!is_nan(best[i]) && (is_nan(v) || better)) best[i] = v, idx[i] = r;
        }
      }
      for (int64_t i = 0; i < inner; ++i) {
        pi[o * inner + i] = idx[i];
        if (pv) pv[o * inner + i] = convert<T>(best[i]);
      }
    }
  });
}

void cumsum(const Tensor& out, const Tensor& in, int64_t outer, int64_t size, int64_t inner) {
  SP_ASSERT(in.is_contiguous() && out.is_contiguous());
  dispatch_all(in.dtype(), "cumsum", [&]<typename T>() {
    using Acc = acc_t<T>;
    using Out = std::conditional_t<math::is_float_v<compute_t<T>>, T, int64_t>;
    const T* x = static_cast<const T*>(in.data_ptr());
    Out* y = static_cast<Out*>(out.data_ptr());
#pragma omp parallel for schedule(static) if (outer * size * inner >= 32768 && outer > 1)
    for (int64_t o = 0; o < outer; ++o) {
      std::vector<Acc> acc(size_t(inner), Acc(0));
      for (int64_t r = 0; r < size; ++r) {
        const int64_t at = (o * size + r) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          acc[i] += Acc(compute_t<T>(x[at + i]));
          y[at + i] = convert<Out>(acc[i]);
        }
      }
    }
  });
}

}  // namespace sp::cpu
