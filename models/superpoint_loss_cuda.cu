#include "models/superpoint_loss_cuda.h"
#include "tensor/cuda/launch.cuh"

namespace sp::models::detail {

namespace {

// The pair term of spec 5.4 and its derivative wrt the dot product.
template <typename T>
__device__ __forceinline__ bool corresponds(const T* warped_row, const T* centers, int64_t j,
                                            T thr2) {
  const T dx = warped_row[0] - centers[2 * j], dy = warped_row[1] - centers[2 * j + 1];
  return dx * dx + dy * dy <= thr2;
}

template <typename T>
__global__ void hinge_rows_kernel(const T* dot, const T* warped, const T* centers, const T* mask,
                                  T* row_sums, int64_t n, int64_t N, T thr2, T lambda, T mp, T mn) {
  const int64_t row = blockIdx.x;  // b * n + i
  const T* d = dot + row * N;
  const T* m = mask + (row / n) * N;
  T acc = 0;
  for (int64_t j = threadIdx.x; j < N; j += blockDim.x) {
    const T v = d[j];
    const T l = corresponds(warped + 2 * row, centers, j, thr2)
                    ? lambda * (mp - v > T(0) ? mp - v : T(0))
                    : (v - mn > T(0) ? v - mn : T(0));
    acc += l * m[j];
  }
  __shared__ T partial[256];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (int(threadIdx.x) < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) row_sums[row] = partial[0];
}

template <typename T>
__global__ void hinge_grad_kernel(T* dot, const T* warped, const T* centers, const T* mask,
                                  const T* factor, int64_t n, int64_t N, int64_t total, T thr2,
                                  T lambda, T mp, T mn) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = k / N, j = k % N;
    const T v = dot[k];
    const T g = corresponds(warped + 2 * row, centers, j, thr2) ? (mp - v > T(0) ? -lambda : T(0))
                                                                : (v - mn > T(0) ? T(1) : T(0));
    dot[k] = g * mask[(row / n) * N + j] * factor[0];
  }
}

void check_inputs(const Tensor& dot, const Tensor& warped, const Tensor& centers,
                  const Tensor& mask, const char* what) {
  for (const Tensor* t : {&dot, &warped, &centers, &mask}) {
    SP_CHECK(t->is_cuda() && t->is_contiguous() && t->dtype() == dot.dtype(), what,
             ": expected contiguous CUDA tensors of dtype ", dot.dtype(), ", got ", t->shape(), " ",
             t->dtype(), " on ", t->device());
  }
  SP_CHECK(dot.dim() == 3 && warped.shape() == Shape({dot.size(0), dot.size(1), 2}) &&
               centers.shape() == Shape({dot.size(2), 2}) &&
               mask.shape() == Shape({dot.size(0), 1, dot.size(2)}),
           what, ": expected dot [B, n, N], warped [B, n, 2], centers [N, 2], mask [B, 1, N], got ",
           dot.shape(), ", ", warped.shape(), ", ", centers.shape(), ", ", mask.shape());
  SP_CHECK(dot.dtype() == DType::F32 || dot.dtype() == DType::F64, what,
           ": expected f32 or f64, got ", dot.dtype());
}

constexpr int kThreads = 256;

}  // namespace

void descriptor_hinge_rows_cuda(const Tensor& dot, const Tensor& warped, const Tensor& centers,
                                const Tensor& mask, const HingeParams& p, const Tensor& row_sums) {
  check_inputs(dot, warped, centers, mask, "descriptor_hinge_rows_cuda");
  const int64_t rows = dot.size(0) * dot.size(1), n = dot.size(1), N = dot.size(2);
  SP_CHECK(row_sums.is_contiguous() && row_sums.numel() == rows && row_sums.dtype() == dot.dtype(),
           "descriptor_hinge_rows_cuda: expected row_sums of ", rows, " elements, got ",
           row_sums.shape());
  if (rows == 0) return;
  const int dev = dot.device().index;
  cuda::set_device(dev);
  auto launch = [&](auto zero) {
    using T = decltype(zero);
    hinge_rows_kernel<T><<<unsigned(rows), kThreads, 0, cuda::stream(dev)>>>(
        dot.data<T>(), warped.data<T>(), centers.data<T>(), mask.data<T>(), row_sums.data<T>(), n,
        N, T(p.thr2), T(p.lambda_d), T(p.positive_margin), T(p.negative_margin));
  };
  if (dot.dtype() == DType::F32)
    launch(0.0f);
  else
    launch(0.0);
  SP_CUDA_LAUNCH_CHECK("hinge_rows_kernel");
}

void descriptor_hinge_grad_cuda(const Tensor& dot, const Tensor& warped, const Tensor& centers,
                                const Tensor& mask, const HingeParams& p, const Tensor& factor) {
  check_inputs(dot, warped, centers, mask, "descriptor_hinge_grad_cuda");
  SP_CHECK(factor.is_cuda() && factor.numel() == 1 && factor.dtype() == dot.dtype(),
           "descriptor_hinge_grad_cuda: expected a one-element factor of dtype ", dot.dtype(),
           ", got ", factor.shape());
  const int64_t total = dot.numel(), n = dot.size(1), N = dot.size(2);
  if (total == 0) return;
  const int dev = dot.device().index;
  cuda::set_device(dev);
  Tensor f = factor.contiguous();
  auto launch = [&](auto zero) {
    using T = decltype(zero);
    hinge_grad_kernel<T><<<cuda::blocks_for(total, kThreads), kThreads, 0, cuda::stream(dev)>>>(
        dot.data<T>(), warped.data<T>(), centers.data<T>(), mask.data<T>(), f.data<T>(), n, N,
        total, T(p.thr2), T(p.lambda_d), T(p.positive_margin), T(p.negative_margin));
  };
  if (dot.dtype() == DType::F32)
    launch(0.0f);
  else
    launch(0.0);
  SP_CUDA_LAUNCH_CHECK("hinge_grad_kernel");
}

}  // namespace sp::models::detail
