// Tiles of Winograd F(4x4, 3x3), shared by the CPU convolution's forward, input gradient
// (conv_winograd.cpp) and weight gradient (conv_winograd_weight.cpp): the output is cut
// into 4x4 tiles, numbered row by row, each read through the 6x6 input tile around it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tensor/ops/conv.h"
#include "tensor/tensor.h"

namespace sp::cpu::winograd {

constexpr int kTile = 4;             // output tile side
constexpr int kAlpha = kTile + 2;    // input tile side
constexpr int kK = kAlpha * kAlpha;  // transformed elements per tile
constexpr int kLanes = 16;           // tiles transformed together, one per vector lane

struct Plan {
  int64_t C, H, W, O, Ho, Wo, ph, pw;
  int64_t tiles_w, tiles;  // output tiles per row, per image
};

// input [N, C, H, W], weight [O, C, 3, 3], output [N, O, Ho, Wo].
Plan make_plan(const Shape& input, const Shape& weight, const Shape& out, const Conv2dArgs& args);

// Scratch memory per thread (OpenMP's pool threads live on), grown as needed and kept:
// fresh multi-megabyte allocations on every call cost page faults and made timings erratic.
enum Scratch {
  kWeights,
  kInput,
  kInputAll,
  kProducts,
  kRowBuffers,
  kGradOut,
  kWeightGrad,
  kScratchKinds
};
std::vector<float>& scratch(Scratch kind, size_t size);

// Calls f(ty, tx0, tx1, offset) for each run of tiles of [t0, t1) within one tile row;
// offset is the run's first tile relative to t0.
template <typename F>
void for_tile_rows(const Plan& p, int64_t t0, int64_t t1, F&& f) {
  for (int64_t t = t0; t < t1;) {
    const int64_t ty = t / p.tiles_w, tx0 = t % p.tiles_w,
                  tx1 = std::min(p.tiles_w, tx0 + (t1 - t));
    f(ty, tx0, tx1, t - t0);
    t += tx1 - tx0;
  }
}

// row[lo, hi) = columns lo - pad .. hi - pad of row yy of a [height, width] plane, zero
// outside the plane: the zero-padded rows that groups of kLanes tiles read without bounds
// checks.
void stage_row(const float* plane, int64_t height, int64_t width, int64_t yy, int64_t pad,
               int64_t lo, int64_t hi, float* row);

// dst[k * stride_k + l] = tiles[k * kLanes + l] for the first `lanes` lanes: the 36
// transformed values of kLanes tiles ([6][6][kLanes] arrays), written into
// [36][rows][cols] buffers.
inline void store_lanes(const float* tiles, int64_t lanes, float* dst, int64_t stride_k) {
  for (int k = 0; k < kK; ++k) {
    if (lanes == kLanes)
      std::memcpy(dst + k * stride_k, tiles + k * kLanes, sizeof(float) * kLanes);  // inlined
    else
      std::copy_n(tiles + k * kLanes, lanes, dst + k * stride_k);
  }
}

// dst[k * stride_k + n .. cols) = 0 for every k: the columns past a group's last tile.
inline void zero_columns(float* dst, int64_t stride_k, int64_t n, int64_t cols) {
  if (n < cols)
    for (int k = 0; k < kK; ++k) std::fill_n(dst + k * stride_k + n, cols - n, 0.f);
}

// V[k][c][t - t0] = (B^T d B)[k] for the 6x6 input tile d of tiles t0..t1 (zero outside
// the image) and channels c0..c1 of one image x, V's rows being `cols` long; columns
// t1 - t0..cols are zeroed. `rows` is scratch.
void transform_input(const float* x, const Plan& p, int64_t t0, int64_t t1, int64_t c0, int64_t c1,
                     float* v, int64_t cols, std::vector<float>& rows);

}  // namespace sp::cpu::winograd
