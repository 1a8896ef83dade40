// CPU convolution. f32 3x3 stride-1 layers with >= 16 channels go to Winograd
// (conv_winograd.h) for the forward and both gradients; everything else runs here as
// im2col over tiles of output pixels + Eigen GEMM. Each thread owns a column buffer sized
// to stay cache-resident and runs its GEMMs single-threaded (Eigen does not nest inside
// an OpenMP region); 1x1 stride-1 unpadded convolutions skip im2col.
#include <omp.h>

// GCC 12 reports false -Wmaybe-uninitialized inside its AVX-512 intrinsics when Eigen
// inlines them; the warning is about the compiler's own headers, not this code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#include <cstdlib>
#include <vector>

#include "tensor/cpu/conv_winograd.h"
#include "tensor/cpu/im2col.h"
#include "tensor/dispatch.h"
#include "tensor/ops/conv.h"

namespace sp::cpu {
namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using StridedMap = Eigen::Map<RowMat<T>, 0, Eigen::OuterStride<>>;
template <typename T>
using ConstStridedMap = Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>>;

struct Layout {
  int64_t batch, in_channels, height, width, out_channels, groups;
  ConvGeometry g;  // of one group
  int64_t out_per_group;
  bool direct;   // 1x1, stride 1, no padding: the input plane is the column matrix
  int64_t tile;  // output pixels per tile
  int64_t tiles;
};

// Columns per tile: the column buffer (patch x tile) near 448 KiB (measured best on
// SuperPoint's layers: big enough that Eigen's packing of the weights is amortized, small
// enough to stay in L2), with the tile count of a plane raised until the (plane, tile)
// items split evenly over the threads, so that no thread idles at the end.
int64_t tile_columns(int64_t patch, int64_t pixels, int64_t planes, size_t elem) {
  const int64_t target =
      std::max<int64_t>(16, 448 * 1024 / std::max<int64_t>(1, patch * int64_t(elem)));
  int64_t tiles = std::max<int64_t>(1, (pixels + target - 1) / target);
  const int64_t threads = omp_get_max_threads();
  while ((planes * tiles) % threads != 0 && tiles < pixels && planes * tiles < 4 * threads) ++tiles;
  return (pixels + tiles - 1) / tiles;
}

Layout make_layout(const Tensor& input, const Shape& w, const Shape& out, const Conv2dArgs& a) {
  Layout l;
  l.batch = input.size(0), l.in_channels = input.size(1), l.height = input.size(2),
  l.width = input.size(3);
  l.out_channels = w[0], l.groups = a.groups, l.out_per_group = w[0] / a.groups;
  l.g = ConvGeometry{w[1],         l.height,      l.width,      w[2],        w[3],
                     out[2],       out[3],        a.stride[0],  a.stride[1], a.padding[0],
                     a.padding[1], a.dilation[0], a.dilation[1]};
  l.direct = w[2] == 1 && w[3] == 1 && a.stride[0] == 1 && a.stride[1] == 1 && a.padding[0] == 0 &&
             a.padding[1] == 0;
  l.tile = tile_columns(l.g.patch(), l.g.out_pixels(), l.batch * l.groups, size_of(input.dtype()));
  l.tiles = (l.g.out_pixels() + l.tile - 1) / l.tile;
  return l;
}

// The column matrix [patch, p1 - p0] of one (image, group) tile: a view of the input for
// direct convolutions, else im2col into buf.
template <typename T>
ConstStridedMap<T> columns(const Layout& l, const T* x, int64_t p0, int64_t p1,
                           std::vector<T>& buf) {
  const int64_t cols = p1 - p0, patch = l.g.patch();
  if (l.direct)
    return ConstStridedMap<T>(x + p0, patch, cols, Eigen::OuterStride<>(l.g.out_pixels()));
  buf.resize(size_t(patch * cols));
  im2col(x, l.g, p0, p1, buf.data(), cols);
  return ConstStridedMap<T>(buf.data(), patch, cols, Eigen::OuterStride<>(cols));
}

template <typename T>
void forward(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
             const Layout& l) {
  const T* x = input.data<T>();
  const T* w = weight.data<T>();
  const T* b = bias.defined() ? bias.data<T>() : nullptr;
  T* y = out.data<T>();
  const int64_t P = l.g.out_pixels(), K = l.g.patch(), Og = l.out_per_group,
                plane = l.height * l.width;
  const int64_t items = l.batch * l.groups * l.tiles;
#pragma omp parallel
  {
    std::vector<T> buf;
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t t = item % l.tiles, ng = item / l.tiles, gi = ng % l.groups, n = ng / l.groups;
      const int64_t p0 = t * l.tile, p1 = std::min(P, p0 + l.tile);
      const T* xg = x + (n * l.in_channels + gi * l.g.channels) * plane;
      auto col = columns<T>(l, xg, p0, p1, buf);
      ConstStridedMap<T> wg(w + gi * Og * K, Og, K, Eigen::OuterStride<>(K));
      StridedMap<T> yt(y + (n * l.out_channels + gi * Og) * P + p0, Og, p1 - p0,
                       Eigen::OuterStride<>(P));
      yt.noalias() = wg * col;
      if (b) yt.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(b + gi * Og, Og);
    }
  }
}

// grad_in = col2im(W^T grad_out). Tiles of one plane overlap in the input, so threads
// take whole (image, group) planes; with fewer planes than threads Eigen threads the GEMM.
template <typename T>
void backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                    const Layout& l) {
  const T* go = grad_out.data<T>();
  const T* w = weight.data<T>();
  T* gi_ptr = grad_in.data<T>();
  const int64_t P = l.g.out_pixels(), K = l.g.patch(), Og = l.out_per_group,
                plane = l.height * l.width;
  const int64_t planes = l.batch * l.groups;
  auto one_plane = [&](int64_t ng, std::vector<T>& buf) {
    const int64_t gi = ng % l.groups, n = ng / l.groups;
    T* xg = gi_ptr + (n * l.in_channels + gi * l.g.channels) * plane;
    ConstStridedMap<T> wg(w + gi * Og * K, Og, K, Eigen::OuterStride<>(K));
    for (int64_t t = 0; t < l.tiles; ++t) {
      const int64_t p0 = t * l.tile, p1 = std::min(P, p0 + l.tile), cols = p1 - p0;
      ConstStridedMap<T> got(go + (n * l.out_channels + gi * Og) * P + p0, Og, cols,
                             Eigen::OuterStride<>(P));
      if (l.direct) {
        StridedMap<T> xt(xg + p0, K, cols, Eigen::OuterStride<>(P));
        xt.noalias() = wg.transpose() * got;
      } else {
        buf.resize(size_t(K * cols));
        StridedMap<T> gcol(buf.data(), K, cols, Eigen::OuterStride<>(cols));
        gcol.noalias() = wg.transpose() * got;
        col2im_add(buf.data(), cols, l.g, p0, p1, xg);
      }
    }
  };
  if (planes >= omp_get_max_threads()) {
#pragma omp parallel
    {
      std::vector<T> buf;
#pragma omp for schedule(static)
      for (int64_t ng = 0; ng < planes; ++ng) one_plane(ng, buf);
    }
  } else {
    std::vector<T> buf;
    for (int64_t ng = 0; ng < planes; ++ng) one_plane(ng, buf);
  }
}

// grad_w[g] = sum over images and tiles of grad_out_tile * columns^T; each thread sums
// into its own copy, added together at the end.
template <typename T>
void backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                     const Layout& l) {
  const T* go = grad_out.data<T>();
  const T* x = input.data<T>();
  T* gw = grad_weight.data<T>();
  const int64_t P = l.g.out_pixels(), K = l.g.patch(), Og = l.out_per_group,
                plane = l.height * l.width;
  const int64_t items = l.batch * l.groups * l.tiles;
#pragma omp parallel
  {
    std::vector<T> buf;
    RowMat<T> local = RowMat<T>::Zero(l.out_channels, K);
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t t = item % l.tiles, ng = item / l.tiles, gi = ng % l.groups, n = ng / l.groups;
      const int64_t p0 = t * l.tile, p1 = std::min(P, p0 + l.tile);
      auto col = columns<T>(l, x + (n * l.in_channels + gi * l.g.channels) * plane, p0, p1, buf);
      ConstStridedMap<T> got(go + (n * l.out_channels + gi * Og) * P + p0, Og, p1 - p0,
                             Eigen::OuterStride<>(P));
      local.middleRows(gi * Og, Og).noalias() += got * col.transpose();
    }
#pragma omp critical
    { Eigen::Map<RowMat<T>>(gw, l.out_channels, K) += local; }
  }
}

// SP_NO_WINOGRAD=1 keeps every convolution on im2col (to compare the two in benchmarks).
bool winograd_disabled() {
  static const bool disabled = std::getenv("SP_NO_WINOGRAD") != nullptr;
  return disabled;
}

}  // namespace

void conv2d_forward(const Tensor& out, const Tensor& input, const Tensor& weight,
                    const Tensor& bias, const Conv2dArgs& args) {
  if (!winograd_disabled() && winograd_applies(input, weight.shape(), args)) {
    conv2d_winograd(out, input, weight, bias, args);
    return;
  }
  const Layout l = make_layout(input, weight.shape(), out.shape(), args);
  dispatch_float(out.dtype(), "conv2d",
                 [&]<typename T>() { forward<T>(out, input, weight, bias, l); });
}

void conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                           const Conv2dArgs& args) {
  if (!winograd_disabled() && winograd_applies_to_backward_input(grad_out, weight.shape(), args)) {
    conv2d_winograd_backward_input(grad_in, grad_out, weight, args);
    return;
  }
  const Layout l = make_layout(grad_in, weight.shape(), grad_out.shape(), args);
  dispatch_float(grad_in.dtype(), "conv2d_backward_input",
                 [&]<typename T>() { backward_input<T>(grad_in, grad_out, weight, l); });
}

void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                            const Conv2dArgs& args) {
  if (!winograd_disabled() && winograd_applies(input, grad_weight.shape(), args)) {
    conv2d_winograd_backward_weight(grad_weight, grad_out, input, args);
    return;
  }
  const Layout l = make_layout(input, grad_weight.shape(), grad_out.shape(), args);
  dispatch_float(input.dtype(), "conv2d_backward_weight",
                 [&]<typename T>() { backward_weight<T>(grad_weight, grad_out, input, l); });
}

void conv2d_backward_bias(const Tensor& grad_bias, const Tensor& grad_out) {
  const int64_t N = grad_out.size(0), O = grad_out.size(1), P = grad_out.size(2) * grad_out.size(3);
  dispatch_float(grad_out.dtype(), "conv2d_backward_bias", [&]<typename T>() {
    const T* go = grad_out.data<T>();
    T* gb = grad_bias.data<T>();
#pragma omp parallel for schedule(static) if (N * O * P > 65536)
    for (int64_t o = 0; o < O; ++o) {
      T sum = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* row = go + (n * O + o) * P;
        for (int64_t p = 0; p < P; ++p) sum += row[p];
      }
      gb[o] = sum;
    }
  });
}

}  // namespace sp::cpu
