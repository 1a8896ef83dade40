#include "tensor/cpu/winograd_tiles.h"

#include <cstring>

namespace sp::cpu::winograd {
namespace {

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

}  // namespace

Plan make_plan(const Shape& input, const Shape& weight, const Shape& out, const Conv2dArgs& a) {
  Plan p;
  p.C = input[1], p.H = input[2], p.W = input[3];
  p.O = weight[0], p.Ho = out[2], p.Wo = out[3];
  p.ph = a.padding[0], p.pw = a.padding[1];
  p.tiles_w = (p.Wo + kTile - 1) / kTile;
  p.tiles = ((p.Ho + kTile - 1) / kTile) * p.tiles_w;
  return p;
}

void stage_row(const float* plane, int64_t height, int64_t width, int64_t yy, int64_t pad,
               int64_t lo, int64_t hi, float* row) {
  if (yy < 0 || yy >= height) {
    std::fill(row + lo, row + hi, 0.f);
    return;
  }
  const int64_t in_lo = std::clamp(lo, pad, pad + width), in_hi = std::clamp(hi, pad, pad + width);
  std::fill(row + lo, row + in_lo, 0.f);
  std::copy(plane + yy * width + (in_lo - pad), plane + yy * width + (in_hi - pad), row + in_lo);
  std::fill(row + std::max(in_hi, lo), row + hi, 0.f);
}

std::vector<float>& scratch(Scratch kind, size_t size) {
  thread_local std::vector<float> buffers[kScratchKinds];
  std::vector<float>& b = buffers[kind];
  if (b.size() < size) b.resize(size);
  return b;
}

// The six input rows of a tile row are first copied into zero-padded rows (with a slack of
// one lane group), so that groups of kLanes tiles need no bounds checks. (Reading rows in
// place where no lane crosses a border was tried: no difference measured; the copy is
// where the input's cache misses land, and they remain either way.)
void transform_input(const float* x, const Plan& p, int64_t t0, int64_t t1, int64_t c0, int64_t c1,
                     float* v, int64_t cols, std::vector<float>& rows) {
  const int64_t n = t1 - t0, stride_k = p.C * cols, row_len = kTile * (p.tiles_w + kLanes) + 2;
  rows.resize(size_t(kAlpha * row_len));  // lanes past a run's end read stale values, never stored
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * p.H * p.W;
    for_tile_rows(p, t0, t1, [&](int64_t ty, int64_t tx0, int64_t tx1, int64_t offset) {
      const float* r[kAlpha];
      for (int i = 0; i < kAlpha; ++i) {
        float* row = rows.data() + i * row_len;
        r[i] = row;
        stage_row(xc, p.H, p.W, ty * kTile - p.ph + i, p.pw, kTile * tx0, kTile * tx1 + 2, row);
      }
      for (int64_t tx = tx0; tx < tx1; tx += kLanes) {
        alignas(64) float d[kAlpha][kAlpha][kLanes], h[kAlpha][kAlpha][kLanes],
            out[kAlpha][kAlpha][kLanes];
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
          float* const o[kAlpha] = {out[0][j], out[1][j], out[2][j],
                                    out[3][j], out[4][j], out[5][j]};
          input_1d(in, o);
        }
        store_lanes(&out[0][0][0], std::min<int64_t>(kLanes, tx1 - tx),
                    v + c * cols + offset + (tx - tx0), stride_k);
      }
    });
    zero_columns(v + c * cols, stride_k, n, cols);
  }
}

}  // namespace sp::cpu::winograd
