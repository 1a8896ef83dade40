// The weight gradient of a 3x3 stride-1 convolution through Winograd F(4x4, 3x3). The
// forward is y = A^T (U .* V) A per tile with U = G g G^T, so
//   dL/dU[k][o][c] = sum over tiles of D[k][o][t] V[k][c][t],  D = A dy A^T (6x6 per
//                    4x4 tile of grad_out),
//   grad_w[o][c]   = G^T dL/dU[o][c] G,
// 36 products [out, tiles] x [tiles, in] instead of im2col's [out, tiles * 16] x
// [tiles * 16, in * 9]: 2.25x fewer multiply-adds. Threads take runs of tiles and sum
// into their own [36][out][in]; the final transform adds the threads' sums.
#include <omp.h>

// GCC 12 reports false -Wmaybe-uninitialized inside its AVX-512 intrinsics when Eigen
// inlines them; the warning is about the compiler's own headers, not this code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

#include "tensor/cpu/conv_winograd.h"
#include "tensor/cpu/winograd_tiles.h"

namespace sp::cpu {
namespace {

using namespace winograd;

constexpr int64_t kMaxColumns = 64;  // tiles per work item: the length of each product's sum

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// o = A d along one dimension, lane by lane; A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0;
// 0 1 1 4 4 0; 0 1 -1 8 -8 1].
inline void grad_out_1d(const float* const d[kTile], float* const o[kAlpha]) {
#pragma omp simd
  for (int l = 0; l < kLanes; ++l) {
    const float d0 = d[0][l], d1 = d[1][l], d2 = d[2][l], d3 = d[3][l];
    const float a = d0 + d2, b = d1 + d3, c = d0 + 4 * d2, e = 2 * d1 + 8 * d3;
    o[0][l] = d0;
    o[1][l] = a + b;
    o[2][l] = a - b;
    o[3][l] = c + e;
    o[4][l] = c - e;
    o[5][l] = d3;
  }
}

// D[k][o][t - t0] = (A dy A^T)[k] for the 4x4 tiles dy of grad_out (one image, zero
// outside it) of tiles t0..t1, D's rows being `cols` long; columns t1 - t0..cols are
// zeroed. Like transform_input, tile rows are staged in zero-padded row buffers.
void transform_grad_out(const float* go, const Plan& p, int64_t t0, int64_t t1, float* d,
                        int64_t cols, std::vector<float>& rows) {
  const int64_t n = t1 - t0, stride_k = p.O * cols, row_len = kTile * (p.tiles_w + kLanes);
  rows.resize(size_t(kTile * row_len));  // lanes past a run's end read stale values, never stored
  for (int64_t o = 0; o < p.O; ++o) {
    const float* g = go + o * p.Ho * p.Wo;
    for_tile_rows(p, t0, t1, [&](int64_t ty, int64_t tx0, int64_t tx1, int64_t offset) {
      const float* r[kTile];
      for (int i = 0; i < kTile; ++i) {
        float* row = rows.data() + i * row_len;
        r[i] = row;
        stage_row(g, p.Ho, p.Wo, kTile * ty + i, 0, kTile * tx0, kTile * tx1, row);
      }
      for (int64_t tx = tx0; tx < tx1; tx += kLanes) {
        alignas(64) float s[kTile][kTile][kLanes], h[kAlpha][kTile][kLanes],
            out[kAlpha][kAlpha][kLanes];
        for (int i = 0; i < kTile; ++i)
          for (int j = 0; j < kTile; ++j)
            for (int l = 0; l < kLanes; ++l) s[i][j][l] = r[i][kTile * (tx + l) + j];
        for (int j = 0; j < kTile; ++j) {  // columns: A dy
          const float* in[kTile] = {s[0][j], s[1][j], s[2][j], s[3][j]};
          float* const o6[kAlpha] = {h[0][j], h[1][j], h[2][j], h[3][j], h[4][j], h[5][j]};
          grad_out_1d(in, o6);
        }
        for (int i = 0; i < kAlpha; ++i) {  // rows: (A dy) A^T
          const float* in[kTile] = {h[i][0], h[i][1], h[i][2], h[i][3]};
          float* const o6[kAlpha] = {out[i][0], out[i][1], out[i][2],
                                     out[i][3], out[i][4], out[i][5]};
          grad_out_1d(in, o6);
        }
        store_lanes(&out[0][0][0], std::min<int64_t>(kLanes, tx1 - tx),
                    d + o * cols + offset + (tx - tx0), stride_k);
      }
    });
    zero_columns(d + o * cols, stride_k, n, cols);
  }
}

// o = G^T u along one dimension, lane by lane; G = [1/4 0 0; -1/6 -1/6 -1/6;
// -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1].
inline void weight_grad_1d(const float* const u[kAlpha], float* const o[3]) {
#pragma omp simd
  for (int l = 0; l < kLanes; ++l) {
    const float u0 = u[0][l], u1 = u[1][l], u2 = u[2][l], u3 = u[3][l], u4 = u[4][l], u5 = u[5][l];
    o[0][l] = u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;
    o[1][l] = (u2 - u1) / 6 + (u3 - u4) / 12;
    o[2][l] = (u3 + u4 - u1 - u2) / 6 + u5;
  }
}

// grad_w[o][c] = G^T S[o][c] G for S = dL/dU, the sum of the threads' partial [36][O][C]
// (null where a thread had no tiles), kLanes (o, c) pairs at a time. Run inside a
// parallel region.
void weight_gradient_from(const std::vector<float*>& partial, int64_t O, int64_t C, float* grad_w) {
  const int64_t pairs = O * C;
#pragma omp for schedule(static)
  for (int64_t oc0 = 0; oc0 < pairs; oc0 += kLanes) {
    const int64_t n = std::min<int64_t>(kLanes, pairs - oc0);
    alignas(64) float s[kAlpha][kAlpha][kLanes] = {}, t[3][kAlpha][kLanes], g[3][3][kLanes];
    for (const float* part : partial)
      if (part)
        for (int k = 0; k < kK; ++k)
          for (int64_t l = 0; l < n; ++l) s[k / kAlpha][k % kAlpha][l] += part[k * pairs + oc0 + l];
    for (int j = 0; j < kAlpha; ++j) {  // columns: G^T S
      const float* in[kAlpha] = {s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j]};
      float* const o3[3] = {t[0][j], t[1][j], t[2][j]};
      weight_grad_1d(in, o3);
    }
    for (int q = 0; q < 3; ++q) {  // rows: (G^T S) G
      const float* in[kAlpha] = {t[q][0], t[q][1], t[q][2], t[q][3], t[q][4], t[q][5]};
      float* const o3[3] = {g[q][0], g[q][1], g[q][2]};
      weight_grad_1d(in, o3);
    }
    for (int64_t l = 0; l < n; ++l)
      for (int k = 0; k < 9; ++k) grad_w[(oc0 + l) * 9 + k] = g[k / 3][k % 3][l];
  }
}

}  // namespace

void conv2d_winograd_backward_weight(const Tensor& grad_w, const Tensor& grad_out,
                                     const Tensor& input, const Conv2dArgs& args) {
  const Plan p = make_plan(input.shape(), grad_w.shape(), grad_out.shape(), args);
  const int64_t batch = input.size(0), threads = omp_get_max_threads();
  // Each image's tiles in `parts` equal runs of at most kMaxColumns, at least enough runs
  // for every thread to have one.
  const int64_t parts =
      std::max((p.tiles + kMaxColumns - 1) / kMaxColumns, (threads + batch - 1) / batch);
  const int64_t columns = (p.tiles + parts - 1) / parts, items = batch * parts;
  const int64_t image_in = p.C * p.H * p.W, image_out = p.O * p.Ho * p.Wo, sums = kK * p.O * p.C;
  const float* x = input.data<float>();
  const float* go = grad_out.data<float>();
  std::vector<float*> partial(size_t(threads), nullptr);
#pragma omp parallel
  {
    float* v = scratch(kInput, size_t(kK * p.C * columns)).data();
    float* d = scratch(kGradOut, size_t(kK * p.O * columns)).data();
    std::vector<float>& rows = scratch(kRowBuffers, 0);
    float* local = nullptr;
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t image = item / parts, t0 = (item % parts) * columns,
                    t1 = std::min(p.tiles, t0 + columns);
      if (t0 >= t1) continue;
      transform_input(x + image * image_in, p, t0, t1, 0, p.C, v, columns, rows);
      transform_grad_out(go + image * image_out, p, t0, t1, d, columns, rows);
      const bool first = local == nullptr;
      if (first) local = scratch(kWeightGrad, size_t(sums)).data();
      for (int k = 0; k < kK; ++k) {
        Eigen::Map<RowMat> s(local + k * p.O * p.C, p.O, p.C);
        auto product = Eigen::Map<const RowMat>(d + k * p.O * columns, p.O, columns) *
                       Eigen::Map<const RowMat>(v + k * p.C * columns, p.C, columns).transpose();
        if (first)
          s.noalias() = product;
        else
          s.noalias() += product;
      }
    }
    partial[size_t(omp_get_thread_num())] = local;
#pragma omp barrier
    weight_gradient_from(partial, p.O, p.C, grad_w.data<float>());
  }
}

}  // namespace sp::cpu
