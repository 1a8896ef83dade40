// CPU matmul kernel: Eigen GEMM on strided maps of each batch's matrices. A matrix whose
// rows or columns are contiguous is mapped as it lies (row- or column-major); any other
// layout is copied into a contiguous buffer first.
// GCC 12 reports false -Wmaybe-uninitialized inside its AVX-512 intrinsics when Eigen
// inlines them; the warning is about the compiler's own headers, not this code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "tensor/ops/matmul.h"

#include <Eigen/Core>
#include <vector>

#include "tensor/cpu/gemm_tile.h"
#include "tensor/dispatch.h"

namespace sp::cpu {
namespace {

template <typename T>
using RowMajorMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
               Eigen::OuterStride<>>;
template <typename T>
using ColMajorMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>, 0,
               Eigen::OuterStride<>>;
template <typename T>
using OutMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// Calls f(eigen_matrix) with the [rows, cols] matrix at p (strides rs, cs).
template <typename T, typename F>
void with_matrix(const T* p, int64_t rows, int64_t cols, int64_t rs, int64_t cs,
                 std::vector<T>& buffer, F&& f) {
  if (cs == 1 && (rs >= cols || rows == 1)) {
    f(RowMajorMap<T>(p, rows, cols, Eigen::OuterStride<>(rows == 1 ? cols : rs)));
  } else if (rs == 1 && (cs >= rows || cols == 1)) {
    f(ColMajorMap<T>(p, rows, cols, Eigen::OuterStride<>(cols == 1 ? rows : cs)));
  } else {
    buffer.resize(size_t(rows * cols));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) buffer[size_t(i * cols + j)] = p[i * rs + j * cs];
    f(RowMajorMap<T>(buffer.data(), rows, cols, Eigen::OuterStride<>(cols)));
  }
}

}  // namespace

void matmul_batched(const Tensor& out, const Tensor& a, const Tensor& b) {
  const int r = out.dim();
  const int64_t M = out.size(r - 2), N = out.size(r - 1), K = a.size(r - 1);
  const int64_t batches = numel(out.shape()) / std::max<int64_t>(M * N, 1);
  if (out.numel() == 0) return;
  // Batch offsets of a and b: walk the batch multi-index.
  std::vector<int64_t> a_off(size_t(batches), 0), b_off(size_t(batches), 0);
  for (int64_t i = 0; i < batches; ++i) {
    int64_t rem = i;
    for (int d = r - 3; d >= 0; --d) {
      const int64_t idx = rem % out.size(d);
      rem /= out.size(d);
      a_off[size_t(i)] += idx * a.stride(d);
      b_off[size_t(i)] += idx * b.stride(d);
    }
  }
  dispatch_float(out.dtype(), "matmul", [&]<typename T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    auto one = [&](int64_t i, std::vector<T>& abuf, std::vector<T>& bbuf) {
      OutMap<T> c(po + i * M * N, M, N);
      if (K == 0) {
        c.setZero();
        return;
      }
      with_matrix<T>(pa + a_off[size_t(i)], M, K, a.stride(r - 2), a.stride(r - 1), abuf,
                     [&](const auto& A) {
                       with_matrix<T>(pb + b_off[size_t(i)], K, N, b.stride(r - 2), b.stride(r - 1),
                                      bbuf, [&](const auto& B) { c.noalias() = A * B; });
                     });
    };
    // Many small products: one per thread. Few large ones: Eigen threads each GEMM.
    const bool per_batch_threads = batches > 1 && double(M) * double(N) * double(K) < 4e6;
    if (per_batch_threads) {
#pragma omp parallel
      {
        std::vector<T> abuf, bbuf;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < batches; ++i) one(i, abuf, bbuf);
      }
    } else {
      std::vector<T> abuf, bbuf;
      for (int64_t i = 0; i < batches; ++i) one(i, abuf, bbuf);
    }
  });
}

bool gemm_tiled(const Tensor& out, const Tensor& a, const Tensor& b) {
  const int64_t M = out.size(0), N = out.size(1), K = a.size(1);
  if (out.dtype() != DType::F32 || N % tile::kLanes<float> != 0 ||
      (K > 1 && N > 1 && b.stride(1) != 1))
    return false;
  tile::gemm_blocked<float>(M, N, K, a.data<float>(), a.stride(0), a.stride(1), b.data<float>(),
                            K > 1 ? b.stride(0) : N, out.data<float>(), N, false);
  return true;
}

void linear(const Tensor& out, const Tensor& x, const Tensor& weight, bool accumulate) {
  const int64_t R = x.size(0), C = x.size(1), O = weight.size(0);
  if (out.dtype() == DType::F32 && O % tile::kLanes<float> == 0 && C > 0) {
    // W^T as a row-major [C, O] B operand (the tile kernel reads B by rows).
    const Tensor wt = weight.t().contiguous();
    tile::gemm_blocked<float>(R, O, C, x.data<float>(), R == 1 ? C : x.stride(0), 1,
                              wt.data<float>(), O, out.data<float>(), O, accumulate);
    return;
  }
  dispatch_float(out.dtype(), "linear", [&]<typename T>() {
    OutMap<T> c(out.data<T>(), R, O);
    if (C == 0) {
      if (!accumulate) c.setZero();
      return;
    }
    const RowMajorMap<T> a(x.data<T>(), R, C, Eigen::OuterStride<>(R == 1 ? C : x.stride(0)));
    const ColMajorMap<T> wt(weight.data<T>(), C, O, Eigen::OuterStride<>(C));  // W^T, no copy
    if (accumulate)
      c.noalias() += a * wt;
    else
      c.noalias() = a * wt;
  });
}

}  // namespace sp::cpu
