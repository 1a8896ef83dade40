// Winograd F(4x4, 3x3) forward convolution for the CPU (Lavin & Gray, 2015): each 4x4
// output tile comes from a 6x6 input tile through 36 element-wise products in the
// transformed domain, so the GEMM work is 36 products per 16 outputs instead of 144: 4x
// fewer multiply-adds than im2col for SuperPoint's 3x3 stride-1 layers.
//
//   U = G g G^T      (weights, [36][out][in], once per call)
//   V = B^T d B      (input tiles, [36][in][tiles] for a block of tiles)
//   M[k] = U[k] V[k] (36 GEMMs per block)
//   y = A^T m A      (output tiles, plus bias)
//
// Threads take (image, block of tiles) items. The transforms put tiles (or weight pairs)
// in the vector lanes; the small matrices below are unrolled by the compiler.
#include "tensor/cpu/conv_winograd.h"

#include <omp.h>

// GCC 12 reports false -Wmaybe-uninitialized inside its AVX-512 intrinsics when Eigen
// inlines them; the warning is about the compiler's own headers, not this code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#include <algorithm>
#include <vector>

namespace sp::cpu {
namespace {

constexpr int kTile = 4;              // output tile side
constexpr int kAlpha = kTile + 2;     // input tile side
constexpr int kK = kAlpha * kAlpha;   // transformed elements per tile

constexpr float kG[kAlpha][3] = {{1.f / 4, 0, 0},
                                 {-1.f / 6, -1.f / 6, -1.f / 6},
                                 {-1.f / 6, 1.f / 6, -1.f / 6},
                                 {1.f / 24, 1.f / 12, 1.f / 6},
                                 {1.f / 24, -1.f / 12, 1.f / 6},
                                 {0, 0, 1}};
constexpr int kLanes = 16;            // tiles transformed together, one per vector lane

// o = B^T d along one dimension of a tile, lane by lane; B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0;
// 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
inline void input_1d(const float* const d[kAlpha], float* const o[kAlpha]) {
#pragma omp simd
  for (int l = 0; l < kLanes; ++l) {
    const float d0 = d[0][l], d1 = d[1][l], d2 = d[2][l], d3 = d[3][l], d4 = d[4][l], d5 = d[5][l];
    o[0][l] = 4 * d0 - 5 * d2 + d4;
    o[1][l] = -4 * (d1 + d2) + d3 + d4;
    o[2][l] = 4 * (d1 - d2) - d3 + d4;
    o[3][l] = 2 * (d3 - d1) - d2 + d4;
    o[4][l] = 2 * (d1 - d3) - d2 + d4;
    o[5][l] = 4 * d1 - 5 * d3 + d5;
  }
}

// o = A^T m (+ bias) along one dimension; A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0;
// 0 1 -1 8 -8 1].
inline void output_1d(const float* const m[kAlpha], float* const o[kTile], float bias) {
#pragma omp simd
  for (int l = 0; l < kLanes; ++l) {
    const float m0 = m[0][l], m1 = m[1][l], m2 = m[2][l], m3 = m[3][l], m4 = m[4][l], m5 = m[5][l];
    const float a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4;
    o[0][l] = m0 + a + c + bias;
    o[1][l] = b + 2 * e + bias;
    o[2][l] = a + 4 * c + bias;
    o[3][l] = b + 8 * e + m5 + bias;
  }
}

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Map = Eigen::Map<RowMat>;
using ConstMap = Eigen::Map<const RowMat>;

struct Plan {
  int64_t C, H, W, O, Ho, Wo, ph, pw;
  int64_t tiles_w, tiles;  // output tiles per row, per image
  int64_t block, blocks;   // tiles per work item, items per image
};

Plan make_plan(const Tensor& input, const Tensor& weight, const Tensor& out, const Conv2dArgs& a) {
  Plan p;
  p.C = input.size(1), p.H = input.size(2), p.W = input.size(3);
  p.O = weight.size(0), p.Ho = out.size(2), p.Wo = out.size(3);
  p.ph = a.padding[0], p.pw = a.padding[1];
  p.tiles_w = (p.Wo + kTile - 1) / kTile;
  p.tiles = ((p.Ho + kTile - 1) / kTile) * p.tiles_w;
  // Tiles per block: 32 to 128 in steps of 16 (whole 16-lane groups; multiples of 48 suit
  // Eigen's register panels, measured faster than an exact split into 40s), the one that
  // leaves the busiest thread the fewest tiles; larger blocks (fewer GEMMs) win ties.
  const int64_t batch = input.size(0), threads = omp_get_max_threads();
  int64_t best_cost = -1;
  for (int64_t block = 32; block <= 128; block += 16) {
    const int64_t b = std::min(block, p.tiles), blocks = (p.tiles + b - 1) / b;
    const int64_t cost = (batch * blocks + threads - 1) / threads * b;
    if (best_cost < 0 || cost <= best_cost) best_cost = cost, p.block = b, p.blocks = blocks;
  }
  return p;
}

// U[k][o][c] = (G g G^T)[k]. Chunks of 16 (o, c) pairs are gathered into [9][16] so that
// every step runs across the 16 lanes.
void transform_weights(const float* w, int64_t O, int64_t C, float* up) {
  constexpr int64_t L = 16;
  const int64_t pairs = O * C;
#pragma omp parallel for schedule(static) if (pairs > 4096)
  for (int64_t oc0 = 0; oc0 < pairs; oc0 += L) {
    const int64_t n = std::min(L, pairs - oc0);
    float g[3][3][L] = {}, t[kAlpha][3][L] = {}, out[kAlpha][kAlpha][L] = {};
    for (int64_t l = 0; l < n; ++l)
      for (int k = 0; k < 9; ++k) g[k / 3][k % 3][l] = w[(oc0 + l) * 9 + k];
    for (int i = 0; i < kAlpha; ++i)  // G g
      for (int r = 0; r < 3; ++r)
        for (int j = 0; j < 3; ++j)
          for (int64_t l = 0; l < L; ++l) t[i][j][l] += kG[i][r] * g[r][j][l];
    for (int i = 0; i < kAlpha; ++i)  // (G g) G^T
      for (int j = 0; j < kAlpha; ++j)
        for (int r = 0; r < 3; ++r)
          for (int64_t l = 0; l < L; ++l) out[i][j][l] += t[i][r][l] * kG[j][r];
    for (int i = 0; i < kAlpha; ++i)
      for (int j = 0; j < kAlpha; ++j) std::copy(out[i][j], out[i][j] + n, up + (i * kAlpha + j) * pairs + oc0);
  }
}

// Scratch memory per thread (OpenMP's pool threads live on), grown as needed and kept:
// fresh multi-megabyte allocations on every call cost page faults and made timings erratic.
enum Scratch { kWeights, kInput, kProducts, kRows, kScratchKinds };
std::vector<float>& scratch(Scratch kind, size_t size) {
  thread_local std::vector<float> buffers[kScratchKinds];
  std::vector<float>& b = buffers[kind];
  if (b.size() < size) b.resize(size);
  return b;
}

// Calls f(ty, tx0, tx1, offset) for each run of tiles of [t0, t1) within one tile row;
// offset is the run's first tile relative to t0.
template <typename F>
void for_tile_rows(const Plan& p, int64_t t0, int64_t t1, F&& f) {
  for (int64_t t = t0; t < t1;) {
    const int64_t ty = t / p.tiles_w, tx0 = t % p.tiles_w, tx1 = std::min(p.tiles_w, tx0 + (t1 - t));
    f(ty, tx0, tx1, t - t0);
    t += tx1 - tx0;
  }
}

// V[k][c][t - t0] = (B^T d B)[k] for the 6x6 input tile d of tiles t0..t1 (zero outside
// the image). The six input rows of a tile row are first copied into zero-padded rows
// (with a slack of one lane group), so that groups of kLanes tiles need no bounds checks.
void transform_input(const float* x, const Plan& p, int64_t t0, int64_t t1, float* v, std::vector<float>& rows) {
  const int64_t n = t1 - t0, stride_k = p.C * n, row_len = kTile * (p.tiles_w + kLanes) + 2;
  rows.resize(size_t(kAlpha * row_len));  // lanes past a run's end read stale values, never stored
  for (int64_t c = 0; c < p.C; ++c) {
    const float* xc = x + c * p.H * p.W;
    for_tile_rows(p, t0, t1, [&](int64_t ty, int64_t tx0, int64_t tx1, int64_t offset) {
      const float* r[kAlpha];
      for (int i = 0; i < kAlpha; ++i) {
        float* row = rows.data() + i * row_len;
        r[i] = row;
        // Padded columns [lo, hi) are read; column col holds input column col - pw.
        const int64_t yy = ty * kTile - p.ph + i, lo = kTile * tx0, hi = kTile * tx1 + 2;
        if (yy < 0 || yy >= p.H) {
          std::fill(row + lo, row + hi, 0.f);
          continue;
        }
        const int64_t in_lo = std::clamp(lo, p.pw, p.pw + p.W), in_hi = std::clamp(hi, p.pw, p.pw + p.W);
        std::fill(row + lo, row + in_lo, 0.f);
        std::copy(xc + yy * p.W + (in_lo - p.pw), xc + yy * p.W + (in_hi - p.pw), row + in_lo);
        std::fill(row + std::max(in_hi, lo), row + hi, 0.f);
      }
      for (int64_t tx = tx0; tx < tx1; tx += kLanes) {
        alignas(64) float d[kAlpha][kAlpha][kLanes], h[kAlpha][kAlpha][kLanes], out[kAlpha][kAlpha][kLanes];
        for (int i = 0; i < kAlpha; ++i)
          for (int q = 0; q < kAlpha; ++q)
            for (int l = 0; l < kLanes; ++l) d[i][q][l] = r[i][kTile * (tx + l) + q];
        for (int i = 0; i < kAlpha; ++i) {  // rows: d B
          const float* in[kAlpha] = {d[i][0], d[i][1], d[i][2], d[i][3], d[i][4], d[i][5]};
          float* const o[kAlpha] = {h[i][0], h[i][1], h[i][2], h[i][3], h[i][4], h[i][5]};
          input_1d(in, o);
        }
        for (int j = 0; j < kAlpha; ++j) {  // columns: B^T (d B)
          const float* in[kAlpha] = {h[0][j], h[1][j], h[2][j], h[3][j], h[4][j], h[5][j]};
          float* const o[kAlpha] = {out[0][j], out[1][j], out[2][j], out[3][j], out[4][j], out[5][j]};
          input_1d(in, o);
        }
        const int64_t lanes = std::min<int64_t>(kLanes, tx1 - tx);
        float* vt = v + c * n + offset + (tx - tx0);
        for (int k = 0; k < kK; ++k)
          for (int64_t l = 0; l < lanes; ++l) vt[k * stride_k + l] = out[k / kAlpha][k % kAlpha][l];
      }
    });
  }
}

// y tile = A^T m A + bias, kLanes tiles at a time, through four scratch rows whose columns
// inside the output are then copied.
void transform_output(const float* m, const Plan& p, int64_t t0, int64_t t1, const float* bias, float* y,
                      std::vector<float>& rows) {
  const int64_t n = t1 - t0, stride_k = p.O * n, row_len = kTile * (p.tiles_w + kLanes);
  rows.resize(size_t(kTile * row_len));
  float* out_row[kTile];
  for (int i = 0; i < kTile; ++i) out_row[i] = rows.data() + i * row_len;
  // Lanes past a run's end keep earlier (finite) values; their results are never stored.
  alignas(64) float s[kAlpha][kAlpha][kLanes] = {}, h[kTile][kAlpha][kLanes], out[kTile][kTile][kLanes];
  for (int64_t o = 0; o < p.O; ++o) {
    float* yo = y + o * p.Ho * p.Wo;
    const float b = bias ? bias[o] : 0.f;
    for_tile_rows(p, t0, t1, [&](int64_t ty, int64_t tx0, int64_t tx1, int64_t offset) {
      for (int64_t tx = tx0; tx < tx1; tx += kLanes) {
        const int64_t lanes = std::min<int64_t>(kLanes, tx1 - tx);
        const float* mt = m + o * n + offset + (tx - tx0);
        for (int k = 0; k < kK; ++k)
          for (int64_t l = 0; l < lanes; ++l) s[k / kAlpha][k % kAlpha][l] = mt[k * stride_k + l];
        for (int j = 0; j < kAlpha; ++j) {  // columns: A^T m
          const float* in[kAlpha] = {s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j]};
          float* const o4[kTile] = {h[0][j], h[1][j], h[2][j], h[3][j]};
          output_1d(in, o4, 0.f);
        }
        for (int i = 0; i < kTile; ++i) {  // rows: (A^T m) A + bias
          float* const o4[kTile] = {out[i][0], out[i][1], out[i][2], out[i][3]};
          const float* in[kAlpha] = {h[i][0], h[i][1], h[i][2], h[i][3], h[i][4], h[i][5]};
          output_1d(in, o4, b);
        }
        for (int i = 0; i < kTile; ++i)
          for (int l = 0; l < lanes; ++l)
            for (int j = 0; j < kTile; ++j) out_row[i][kTile * (tx + l) + j] = out[i][j][l];
      }
      const int64_t x_begin = kTile * tx0, x_end = std::min(p.Wo, kTile * tx1);
      for (int i = 0; i < kTile && kTile * ty + i < p.Ho; ++i)
        std::copy(out_row[i] + x_begin, out_row[i] + x_end, yo + (kTile * ty + i) * p.Wo + x_begin);
    });
  }
}

}  // namespace

bool winograd_applies(const Tensor& input, const Shape& weight, const Conv2dArgs& a) {
  // Few channels make the GEMMs too small to gain; im2col handles those (and SuperPoint's
  // 1-channel first layer) better.
  return input.dtype() == DType::F32 && a.groups == 1 && weight[2] == 3 && weight[3] == 3 && a.stride[0] == 1 &&
         a.stride[1] == 1 && a.dilation[0] == 1 && a.dilation[1] == 1 && a.padding[0] <= 1 && a.padding[1] <= 1 &&
         weight[0] >= 16 && weight[1] >= 16;
}

void conv2d_winograd(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                     const Conv2dArgs& args) {
  const Plan p = make_plan(input, weight, out, args);
  float* u = scratch(kWeights, size_t(kK * p.O * p.C)).data();
  transform_weights(weight.data<float>(), p.O, p.C, u);
  const float* x = input.data<float>();
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  float* y = out.data<float>();
  const int64_t items = input.size(0) * p.blocks;
#pragma omp parallel
  {
    // Scratch left uninitialized: every element is written before it is read.
    float* v = scratch(kInput, size_t(kK * p.C * p.block)).data();
    float* m = scratch(kProducts, size_t(kK * p.O * p.block)).data();
    std::vector<float>& rows = scratch(kRows, 0);
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t image = item / p.blocks, t0 = (item % p.blocks) * p.block;
      const int64_t t1 = std::min(p.tiles, t0 + p.block), n = t1 - t0;
      transform_input(x + image * p.C * p.H * p.W, p, t0, t1, v, rows);
      for (int64_t k = 0; k < kK; ++k) {
        Map(m + k * p.O * n, p.O, n).noalias() =
            ConstMap(u + k * p.O * p.C, p.O, p.C) * ConstMap(v + k * p.C * n, p.C, n);
      }
      transform_output(m, p, t0, t1, b, y + image * p.O * p.Ho * p.Wo, rows);
    }
  }
}

}  // namespace sp::cpu
