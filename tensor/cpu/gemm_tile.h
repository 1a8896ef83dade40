// Register-tiled GEMM on small cache-resident tiles, for fused CPU kernels (attention):
//   C[m, n] (+)= sum_p A(r, p) B[p, 0..n)   with A(r, p) = a[r * ars + p * aps]
// B is row-major with its rows padded to whole vectors (n % kLanes<T> == 0); A is read
// one scalar at a time (a broadcast), so any layout of A works: row-major (ars = lda,
// aps = 1) or transposed (ars = 1, aps = lda) without packing. The micro-kernel keeps a
// kMR x (kNV vectors) block of C in registers over the whole depth (AVX2: 6 x 16 f32, 12
// of the 16 registers; AVX-512: 6 x 64, 24 of 32).
// Also: a vectorised exp for f32 (Cephes' polynomial, about 1 ulp), lane-wise helpers.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace sp::cpu::tile {

#if defined(__AVX512F__)
inline constexpr int kVecBytes = 64;
inline constexpr int kMR = 6, kNV = 4;
#elif defined(__AVX__)
inline constexpr int kVecBytes = 32;
inline constexpr int kMR = 6, kNV = 2;  // 12 accumulators of the 16 registers (BLIS's 6 x 16)
#else
inline constexpr int kVecBytes = 16;
inline constexpr int kMR = 4, kNV = 2;
#endif

template <typename T>
inline constexpr int kLanes = kVecBytes / int(sizeof(T));

template <typename T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(kVecBytes)));
  typedef float unaligned __attribute__((vector_size(kVecBytes), aligned(4)));
  typedef int32_t itype __attribute__((vector_size(kVecBytes)));
  typedef uint8_t btype __attribute__((vector_size(kVecBytes / 4)));  // one byte a lane
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(kVecBytes)));
  typedef double unaligned __attribute__((vector_size(kVecBytes), aligned(8)));
  typedef int64_t itype __attribute__((vector_size(kVecBytes)));
  typedef uint8_t btype __attribute__((vector_size(kVecBytes / 8)));
};
template <typename T>
using Vec = typename VecOf<T>::type;

template <typename T>
inline Vec<T> load(const T* p) {
  return *reinterpret_cast<const typename VecOf<T>::unaligned*>(p);
}
template <typename T>
inline void store(T* p, Vec<T> v) {
  *reinterpret_cast<typename VecOf<T>::unaligned*>(p) = v;
}
template <typename T>
inline Vec<T> splat(T v) {
  return v - Vec<T>{};  // v - 0 == v for every v (unlike 0 + v at -0), so this folds to a broadcast
}
template <typename T>
inline T hmax(Vec<T> v) {
  T m = v[0];
  for (int l = 1; l < kLanes<T>; ++l) m = std::max(m, T(v[l]));
  return m;
}
template <typename T>
inline T hsum(Vec<T> v) {
  T s = 0;
  for (int l = 0; l < kLanes<T>; ++l) s += v[l];
  return s;
}
template <typename T>
inline Vec<T> vmax(Vec<T> a, Vec<T> b) {
  return a > b ? a : b;
}

// exp of every lane; lanes below -87.3 (including -inf) give exactly 0.
inline Vec<float> vexp(Vec<float> x) {
  using V = Vec<float>;
  using I = VecOf<float>::itype;
  const V lo = splat(-87.3f), hi = splat(88.3f);
  V xc = x < lo ? lo : x;
  xc = xc > hi ? hi : xc;
  const V n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  V r = xc - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  V p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const V y = p * r * r + r + 1.0f;
  const I bits = (__builtin_convertvector(n, I) + 127) << 23;
  V scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  const V result = y * scale;
  return x < lo ? V{} : result;
}
// exp for lanes x <= 0 (softmax scores minus their row maximum): no clamping on the way in,
// lanes below -87.3 (and -inf) give exactly 0 at the end.
inline Vec<float> vexp_nonpositive(Vec<float> x) {
  using V = Vec<float>;
  using I = VecOf<float>::itype;
  const V n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  V r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  V p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const V y = p * r * r + r + 1.0f;
  const I bits = (__builtin_convertvector(n, I) + 127) << 23;
  V scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  const V result = y * scale;
  return x < splat(-87.3f) ? V{} : result;
}
inline Vec<double> vexp_nonpositive(Vec<double> x) {
  Vec<double> y;
  for (int l = 0; l < kLanes<double>; ++l) y[l] = std::exp(x[l]);
  return y;
}
inline Vec<double> vexp(Vec<double> x) {
  Vec<double> y;
  for (int l = 0; l < kLanes<double>; ++l) y[l] = std::exp(x[l]);
  return y;
}

// The micro-kernel: C[MR, NV vectors] (+)= A(MR rows, k) B[k, NV vectors].
template <typename T, int MR, int NV>
inline void micro(int64_t k, const T* a, int64_t ars, int64_t aps, const T* b, int64_t ldb, T* c,
                  int64_t ldc, bool accumulate) {
  constexpr int L = kLanes<T>;
  Vec<T> acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = accumulate ? load(c + r * ldc + v * L) : Vec<T>{};
  for (int64_t p = 0; p < k; ++p) {
    Vec<T> bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = load(b + p * ldb + v * L);
    const T* ap = a + p * aps;
    for (int r = 0; r < MR; ++r) {
      const Vec<T> av = splat(ap[r * ars]);
      for (int v = 0; v < NV; ++v) acc[r][v] += av * bv[v];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) store(c + r * ldc + v * L, acc[r][v]);
}

template <typename T, int NV>
inline void micro_rows(int64_t rows, int64_t k, const T* a, int64_t ars, int64_t aps, const T* b,
                       int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  int64_t r = 0;
  for (; r + kMR <= rows; r += kMR)
    micro<T, kMR, NV>(k, a + r * ars, ars, aps, b, ldb, c + r * ldc, ldc, accumulate);
  const T* ar = a + r * ars;
  T* cr = c + r * ldc;
  switch (rows - r) {  // the tail rows (kMR <= 6)
    case 1:
      return micro<T, 1, NV>(k, ar, ars, aps, b, ldb, cr, ldc, accumulate);
    case 2:
      return micro<T, 2, NV>(k, ar, ars, aps, b, ldb, cr, ldc, accumulate);
    case 3:
      return micro<T, 3, NV>(k, ar, ars, aps, b, ldb, cr, ldc, accumulate);
    case 4:
      if constexpr (kMR > 4) return micro<T, 4, NV>(k, ar, ars, aps, b, ldb, cr, ldc, accumulate);
      break;
    case 5:
      if constexpr (kMR > 5) return micro<T, 5, NV>(k, ar, ars, aps, b, ldb, cr, ldc, accumulate);
      break;
    default:
      break;
  }
}

// C[m, n] (+)= A(m, k) B[k, n]; n a multiple of kLanes<T>; ldb and ldc in elements.
template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t ars, int64_t aps, const T* b,
          int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  constexpr int L = kLanes<T>;
  int64_t j = 0;
  for (; j + kNV * L <= n; j += kNV * L)
    micro_rows<T, kNV>(m, k, a, ars, aps, b + j, ldb, c + j, ldc, accumulate);
  switch ((n - j) / L) {  // the last 1 .. kNV - 1 vectors
    case 1:
      return micro_rows<T, 1>(m, k, a, ars, aps, b + j, ldb, c + j, ldc, accumulate);
    case 2:
      if constexpr (kNV > 2)
        return micro_rows<T, 2>(m, k, a, ars, aps, b + j, ldb, c + j, ldc, accumulate);
      break;
    case 3:
      if constexpr (kNV > 3)
        return micro_rows<T, 3>(m, k, a, ars, aps, b + j, ldb, c + j, ldc, accumulate);
      break;
    default:
      break;
  }
}

inline int64_t round_up(int64_t v, int64_t m) {
  return (v + m - 1) / m * m;
}

// A whole product C[m, n] (+)= A(m, k) B[k, n] (n % kLanes<T> == 0) blocked for the caches:
// row chunks of A (in L2) against each column panel of B (in L1), the depth in chunks of
// kDepthChunk, OpenMP over the row chunks. For the medium products of linear layers, where
// it beats Eigen's packed GEMM on AVX2.
template <typename T>
void gemm_blocked(int64_t m, int64_t n, int64_t k, const T* a, int64_t ars, int64_t aps, const T* b,
                  int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  constexpr int64_t kRowChunk = 96, kDepthChunk = 256;
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
    return;
  }
  // At most kRowChunk rows a chunk, a multiple of the threads in number (balanced), each a
  // whole number of micro-kernel row blocks where possible.
  const int64_t threads = omp_get_max_threads();
  int64_t chunks = (m + kRowChunk - 1) / kRowChunk;
  chunks = (chunks + threads - 1) / threads * threads;
  const int64_t chunk_rows = round_up((m + chunks - 1) / chunks, kMR);
  chunks = (m + chunk_rows - 1) / chunk_rows;
#pragma omp parallel for schedule(static) if (chunks > 1 && \
                                              double(m) * double(n) * double(k) >= 1e6)
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int64_t i0 = ch * chunk_rows, rows = std::min(chunk_rows, m - i0);
    for (int64_t p0 = 0; p0 < k; p0 += kDepthChunk)
      gemm<T>(rows, n, std::min(kDepthChunk, k - p0), a + i0 * ars + p0 * aps, ars, aps,
              b + p0 * ldb, ldb, c + i0 * ldc, ldc, accumulate || p0 > 0);
  }
}

}  // namespace sp::cpu::tile
