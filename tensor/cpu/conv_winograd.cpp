// Winograd F(4x4, 3x3) forward convolution for the CPU (Lavin & Gray, 2015), and the
// input gradient as a forward convolution (at the end of the file): each 4x4
// output tile comes from a 6x6 input tile through 36 element-wise products in the
// transformed domain, so the multiply-adds are 36 per 16 outputs instead of 144: 4x fewer
// than im2col for SuperPoint's 3x3 stride-1 layers.
//
//   U = G g G^T      (weights, once per call)
//   V = B^T d B      (input tiles)
//   M[k] = U[k] V[k] (36 matrix products, one per transformed element k)
//   y = A^T m A      (output tiles, plus bias)
//
// Tiles go in groups of kGroup. For one group V is [36][in][kGroup]; U is laid out as
// [out / kRows][36][in][kRows], so the register-tiled product (kRows output channels at a
// time) reads both operands in order, with no packing, and writes a [kRows][36][kGroup]
// block that the output transform reads while it is still in L1. The transforms put 16
// tiles (or kRows filters) in the vector lanes; the small matrices are unrolled by the
// compiler.
//
// Threads take whole groups when there are plenty; otherwise (small maps, batch 1) all
// groups' inputs are transformed first and threads share out (group, output-channel
// block) items, so that every thread stays busy on a 30x40 map.
#include "tensor/cpu/conv_winograd.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "tensor/cpu/winograd_tiles.h"
#include "tensor/ops/creation.h"

namespace sp::cpu {
namespace {

using namespace winograd;

constexpr int kGroup = 32;  // tiles per group: the columns of V and M

// The product's register tile: kRows output channels x 2 vectors of tiles.
#if defined(__AVX512F__)
constexpr int kVec = 16, kRows = 12;  // 32 registers: 24 accumulators
#elif defined(__AVX__)
constexpr int kVec = 8, kRows = 6;  // 16 registers: 12 accumulators
#else
constexpr int kVec = 4, kRows = 6;  // SSE, NEON
#endif
typedef float Vec __attribute__((vector_size(kVec * sizeof(float))));

// o = G g along one dimension, lane by lane; G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
// 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1].
inline void weight_1d(const float* const g[3], float* const o[kAlpha]) {
#pragma omp simd
  for (int l = 0; l < kLanes; ++l) {
    const float g0 = g[0][l], g1 = g[1][l], g2 = g[2][l];
    const float a = -(g0 + g2) / 6, b = g0 / 24 + g2 / 6;
    o[0][l] = g0 / 4;
    o[1][l] = a - g1 / 6;
    o[2][l] = a + g1 / 6;
    o[3][l] = b + g1 / 12;
    o[4][l] = b - g1 / 12;
    o[5][l] = g2;
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

// The forward's partition: tiles in groups of kGroup, output channels in blocks of kRows.
struct Blocks {
  int64_t groups;  // tile groups per image
  int64_t chunks;  // blocks of kRows output channels (the last one padded with zeros)
};

Blocks make_blocks(const Plan& p) {
  return {(p.tiles + kGroup - 1) / kGroup, (p.O + kRows - 1) / kRows};
}

// U[chunk][k][c][r] = (G g G^T)[k] for output channel chunk * kRows + r (zero past O).
// For one chunk and k, (c, r) pairs are consecutive in U, so kLanes of them are
// transformed together, one per lane, and written as runs.
void transform_weights(const float* w, const Plan& p, int64_t chunks, float* u) {
  static constexpr float kZeros[9] = {};
  const int64_t per_chunk = p.C * kRows, steps = (per_chunk + kLanes - 1) / kLanes,
                items = chunks * steps;
#pragma omp parallel for schedule(static) if (items > 256)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t chunk = item / steps, j0 = (item % steps) * kLanes,
                  n = std::min<int64_t>(kLanes, per_chunk - j0);
    alignas(64) float g[3][3][kLanes], t[kAlpha][3][kLanes], out[kAlpha][kAlpha][kLanes];
    for (int64_t l = 0; l < kLanes; ++l) {
      const int64_t c = (j0 + l) / kRows, o = chunk * kRows + (j0 + l) % kRows;
      const float* filter = l < n && o < p.O ? w + (o * p.C + c) * 9 : kZeros;
      for (int k = 0; k < 9; ++k) g[k / 3][k % 3][l] = filter[k];
    }
    for (int j = 0; j < 3; ++j) {  // columns: G g
      const float* in[3] = {g[0][j], g[1][j], g[2][j]};
      float* const o[kAlpha] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]};
      weight_1d(in, o);
    }
    for (int i = 0; i < kAlpha; ++i) {  // rows: (G g) G^T
      const float* in[3] = {t[i][0], t[i][1], t[i][2]};
      float* const o[kAlpha] = {out[i][0], out[i][1], out[i][2], out[i][3], out[i][4], out[i][5]};
      weight_1d(in, o);
    }
    for (int k = 0; k < kK; ++k) {
      float* dst = u + (chunk * kK + k) * per_chunk + j0;
      if (n == kLanes)
        std::memcpy(dst, out[k / kAlpha][k % kAlpha], sizeof(float) * kLanes);  // inlined
      else
        std::copy_n(out[k / kAlpha][k % kAlpha], n, dst);
    }
  }
}

// The register-tiled product: m[r][0, NV * kVec) = sum_c u[c][r] v[c][0, NV * kVec) for
// r < R, with u = U[chunk][k] ([C][kRows]) and v = V[k] ([C][kGroup]) both read in order,
// and m's rows kK * kGroup apart. The R x NV accumulators stay in registers.
template <int NV, int R>
inline void multiply_tile(const float* u, const float* v, int64_t C, float* m) {
  Vec acc[R][NV] = {};
  for (int64_t c = 0; c < C; ++c) {
    Vec x[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) std::memcpy(&x[j], v + c * kGroup + j * kVec, sizeof(Vec));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const Vec w = Vec{} + u[c * kRows + r];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[r][j] += w * x[j];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NV; ++j)
      std::memcpy(m + r * kK * kGroup + j * kVec, &acc[r][j], sizeof(Vec));
}

// M[r][k][t] = sum_c U[k][c][r] V[k][c][t] for one chunk's first R output channels and the
// group's first `tiles` tiles (rounded up to whole vectors).
template <int R>
void multiply_group(const float* u, const float* v, int64_t C, int64_t tiles, float* m) {
  constexpr int64_t kWidth = 2 * kVec;
  for (int k = 0; k < kK; ++k) {
    const float* uk = u + k * C * kRows;
    const float* vk = v + k * C * kGroup;
    for (int64_t t = 0; t < tiles; t += kWidth) {
      if (tiles - t > kVec)
        multiply_tile<2, R>(uk, vk + t, C, m + k * kGroup + t);
      else
        multiply_tile<1, R>(uk, vk + t, C, m + k * kGroup + t);
    }
  }
}

using MultiplyFn = void (*)(const float*, const float*, int64_t, int64_t, float*);
template <int... R>
constexpr std::array<MultiplyFn, sizeof...(R)> multiply_table(std::integer_sequence<int, R...>) {
  return {&multiply_group<R + 1>...};
}
// kMultiply[R - 1] handles R output channels: a full chunk, or the last chunk's remainder.
constexpr auto kMultiply = multiply_table(std::make_integer_sequence<int, kRows>{});

// y[o0 + r] = A^T m A + bias on the group's tiles t0..t1 for the chunk's output channels,
// kLanes tiles at a time; each 4x4 result is stored row by row, clipped to the output.
void transform_output(const float* m, const Plan& p, int64_t t0, int64_t t1, int64_t o0,
                      const float* bias, float* y) {
  alignas(64) float s[kAlpha][kAlpha][kLanes], h[kTile][kAlpha][kLanes], out[kTile][kTile][kLanes];
  alignas(64) float tile_rows[kLanes][kTile][kTile];
  for (int64_t r = 0; r < kRows && o0 + r < p.O; ++r) {
    float* yo = y + (o0 + r) * p.Ho * p.Wo;
    const float b = bias ? bias[o0 + r] : 0.f;
    for (int64_t g = t0; g < t1; g += kLanes) {
      const float* mg = m + r * kK * kGroup + (g - t0);
      for (int k = 0; k < kK; ++k)
        std::copy(mg + k * kGroup, mg + k * kGroup + kLanes, s[k / kAlpha][k % kAlpha]);
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
      for (int l = 0; l < kLanes; ++l)
        for (int i = 0; i < kTile; ++i)
          for (int j = 0; j < kTile; ++j) tile_rows[l][i][j] = out[i][j][l];
      const int64_t lanes = std::min<int64_t>(kLanes, t1 - g);
      for (int64_t l = 0, ty = g / p.tiles_w, tx = g % p.tiles_w; l < lanes; ++l) {
        const int64_t y0 = kTile * ty, x0 = kTile * tx, width = std::min<int64_t>(kTile, p.Wo - x0);
        for (int i = 0; i < kTile && y0 + i < p.Ho; ++i) {
          float* dst = yo + (y0 + i) * p.Wo + x0;
          if (width == kTile)
            std::memcpy(dst, tile_rows[l][i], sizeof(float) * kTile);  // one vector store
          else
            std::copy_n(tile_rows[l][i], width, dst);
        }
        if (++tx == p.tiles_w) tx = 0, ++ty;
      }
    }
  }
}

}  // namespace

bool winograd_applies(const Tensor& input, const Shape& weight, const Conv2dArgs& a) {
  // Few channels make the GEMMs too small to gain; im2col handles those (and SuperPoint's
  // 1-channel first layer) better.
  return input.dtype() == DType::F32 && a.groups == 1 && weight[2] == 3 && weight[3] == 3 &&
         a.stride[0] == 1 && a.stride[1] == 1 && a.dilation[0] == 1 && a.dilation[1] == 1 &&
         a.padding[0] <= 1 && a.padding[1] <= 1 && weight[0] >= 16 && weight[1] >= 16;
}

void conv2d_winograd(const Tensor& out, const Tensor& input, const Tensor& weight,
                     const Tensor& bias, const Conv2dArgs& args, WinogradSplit split) {
  const Plan p = make_plan(input.shape(), weight.shape(), out.shape(), args);
  const Blocks blocks = make_blocks(p);
  float* u = scratch(kWeights, size_t(blocks.chunks * kK * p.C * kRows)).data();
  transform_weights(weight.data<float>(), p, blocks.chunks, u);
  const float* x = input.data<float>();
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  float* y = out.data<float>();
  const int64_t groups = input.size(0) * blocks.groups, group_floats = kK * p.C * kGroup;
  const int64_t image_in = p.C * p.H * p.W, image_out = p.O * p.Ho * p.Wo;
  // The tiles [t0, t1) of image `image` that make up group `group`.
  auto group_tiles = [&](int64_t group, int64_t& image, int64_t& t0, int64_t& t1) {
    image = group / blocks.groups, t0 = (group % blocks.groups) * kGroup,
    t1 = std::min(p.tiles, t0 + kGroup);
  };
  // One block of output channels for one group, from the group's transformed input v.
  auto produce = [&](int64_t group, int64_t chunk, const float* v, float* m) {
    int64_t image, t0, t1;
    group_tiles(group, image, t0, t1);
    const int64_t rows = std::min<int64_t>(kRows, p.O - chunk * kRows);
    kMultiply[rows - 1](u + chunk * kK * p.C * kRows, v, p.C, t1 - t0, m);
    transform_output(m, p, t0, t1, chunk * kRows, b, y + image * image_out);
  };
  if (split == WinogradSplit::Auto)
    split = groups >= 4 * omp_get_max_threads() ? WinogradSplit::Groups
                                                : WinogradSplit::GroupsAndOutputChannels;

  if (split == WinogradSplit::Groups) {
#pragma omp parallel
    {
      // Scratch left uninitialized: every element is written before it is read.
      float* v = scratch(kInput, size_t(group_floats)).data();
      float* m = scratch(kProducts, size_t(kRows * kK * kGroup)).data();
      std::vector<float>& rows = scratch(kRowBuffers, 0);
#pragma omp for schedule(static)
      for (int64_t group = 0; group < groups; ++group) {
        int64_t image, t0, t1;
        group_tiles(group, image, t0, t1);
        transform_input(x + image * image_in, p, t0, t1, 0, p.C, v, kGroup, rows);
        for (int64_t chunk = 0; chunk < blocks.chunks; ++chunk) produce(group, chunk, v, m);
      }
    }
    return;
  }
  // Too few groups to keep every thread busy: transform every group's input first (split
  // by channel blocks too), then share out (group, output-channel chunk) items.
  constexpr int64_t kChannelBlock = 16;
  const int64_t channel_blocks = (p.C + kChannelBlock - 1) / kChannelBlock;
  float* v_all = scratch(kInputAll, size_t(groups * group_floats)).data();
#pragma omp parallel
  {
    float* m = scratch(kProducts, size_t(kRows * kK * kGroup)).data();
    std::vector<float>& rows = scratch(kRowBuffers, 0);
#pragma omp for schedule(static)
    for (int64_t item = 0; item < groups * channel_blocks; ++item) {
      const int64_t group = item / channel_blocks, c0 = (item % channel_blocks) * kChannelBlock;
      int64_t image, t0, t1;
      group_tiles(group, image, t0, t1);
      transform_input(x + image * image_in, p, t0, t1, c0, std::min(p.C, c0 + kChannelBlock),
                      v_all + group * group_floats, kGroup, rows);
    }
#pragma omp for schedule(static)
    for (int64_t item = 0; item < groups * blocks.chunks; ++item)
      produce(item / blocks.chunks, item % blocks.chunks,
              v_all + (item / blocks.chunks) * group_floats, m);
  }
}

bool winograd_applies_to_backward_input(const Tensor& grad_out, const Shape& weight,
                                        const Conv2dArgs& a) {
  // The flipped convolution pads by 2 - padding.
  return winograd_applies(grad_out, {weight[1], weight[0], weight[2], weight[3]},
                          Conv2dArgs{.groups = a.groups}) &&
         a.stride[0] == 1 && a.stride[1] == 1 && a.dilation[0] == 1 && a.dilation[1] == 1 &&
         a.padding[0] <= 1 && a.padding[1] <= 1;
}

// The input gradient of a stride-1 3x3 convolution is itself one: grad_out convolved with
// the weights flipped in space and with in and out swapped, padded by 2 - padding.
void conv2d_winograd_backward_input(const Tensor& grad_in, const Tensor& grad_out,
                                    const Tensor& weight, const Conv2dArgs& args) {
  const int64_t O = weight.size(0), C = weight.size(1);
  Tensor flipped = empty({C, O, 3, 3}, DType::F32);
  const float* w = weight.data<float>();
  float* f = flipped.data<float>();
  for (int64_t c = 0; c < C; ++c)
    for (int64_t o = 0; o < O; ++o)
      for (int k = 0; k < 9; ++k) f[(c * O + o) * 9 + k] = w[(o * C + c) * 9 + (8 - k)];
  conv2d_winograd(grad_in, grad_out, flipped, Tensor(),
                  Conv2dArgs{.padding = {2 - args.padding[0], 2 - args.padding[1]}});
}

}  // namespace sp::cpu
