// Index kernels (tensor/cuda/index.h). Each thread maps a linear index over the
// iteration shape to coordinates, replaces the coordinate along `dim` by the looked-up
// index, and reads/writes through each operand's own strides.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "tensor/cuda/index.h"
#include "tensor/cuda/launch.cuh"
#include "tensor/dispatch.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

struct Geometry {
  int rank;
  int dim;
  int64_t size;             // t.size(dim): the valid index range
  int64_t shape[kMaxRank];  // iteration shape
  int64_t t_st[kMaxRank];   // strides of the indexed tensor
  int64_t a_st[kMaxRank];   // strides of the other operand (out or src)
  int64_t i_st[kMaxRank];   // strides of the index tensor (gather/scatter) along the shape
  int64_t idx_st;           // stride of a 1-D index tensor (index_select/index_add)
};

Geometry geometry(const Shape& shape, const Tensor& t, const Tensor& other, const Tensor* index,
                  int dim, int64_t idx_st) {
  Geometry g{};
  g.rank = shape.rank();
  g.dim = dim;
  g.size = t.size(dim);
  g.idx_st = idx_st;
  for (int d = 0; d < g.rank; ++d) {
    g.shape[d] = shape[d];
    g.t_st[d] = t.stride(d);
    g.a_st[d] = other.stride(d);
    g.i_st[d] = index ? index->stride(d) : 0;
  }
  return g;
}

// Records the first bad index: err[0] = 1 once, err[1] = its value.
__device__ void report_bad(long long* err, int64_t v) {
  if (atomicCAS(reinterpret_cast<unsigned long long*>(err), 0ull, 1ull) == 0ull) err[1] = v;
}

// kind 0: index_select / index_add (index = idx[coord[dim]] from a 1-D tensor);
// kind 1: gather / scatter_add (index = idx at the same coordinates).
template <typename I>
__device__ bool locate(const Geometry& g, int64_t k, const I* idx, bool per_element, int64_t* t_off,
                       int64_t* a_off, long long* err) {
  int64_t c[kMaxRank];
  for (int d = g.rank - 1; d >= 0; --d) {
    c[d] = k % g.shape[d];
    k /= g.shape[d];
  }
  int64_t io = 0;
  if (per_element) {
    for (int d = 0; d < g.rank; ++d) io += c[d] * g.i_st[d];
  } else {
    io = c[g.dim] * g.idx_st;
  }
  const int64_t v = int64_t(idx[io]);
  if (v < 0 || v >= g.size) {
    report_bad(err, v);
    return false;
  }
  int64_t to = 0, ao = 0;
  for (int d = 0; d < g.rank; ++d) {
    to += (d == g.dim ? v : c[d]) * g.t_st[d];
    ao += c[d] * g.a_st[d];
  }
  *t_off = to;
  *a_off = ao;
  return true;
}

template <typename T, typename I>
__global__ void read_kernel(T* out, const T* t, const I* idx, Geometry g, int64_t n,
                            bool per_element, long long* err) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    int64_t to, ao;
    if (locate(g, k, idx, per_element, &to, &ao, err)) out[ao] = t[to];
  }
}

template <typename T>
__device__ __forceinline__ void add_to(T* p, double v) {
  if constexpr (std::is_same_v<T, float>)
    atomicAdd(p, float(v));
  else if constexpr (std::is_same_v<T, double>)
    atomicAdd(p, v);
  else if constexpr (std::is_same_v<T, int32_t>)
    atomicAdd(p, int32_t(v));
  else if constexpr (std::is_same_v<T, int64_t>)
    atomicAdd(reinterpret_cast<unsigned long long*>(p), (unsigned long long)(int64_t(v)));
  else if constexpr (std::is_same_v<T, Half>)
    atomicAdd(reinterpret_cast<__half*>(p), __float2half_rn(float(v)));
  else if constexpr (std::is_same_v<T, BFloat16>)
    atomicAdd(reinterpret_cast<__nv_bfloat16*>(p), __float2bfloat16_rn(float(v)));
}

template <typename T, typename I>
__global__ void add_kernel(T* t, const T* src, const I* idx, Geometry g, int64_t n,
                           bool per_element, double alpha, long long* err) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    int64_t to, ao;
    if (locate(g, k, idx, per_element, &to, &ao, err))
      add_to(t + to, alpha * convert<double>(src[ao]));
  }
}

// Throws the CPU kernel's message if a kernel recorded a bad index.
void check_errors(const Tensor& err, int64_t size, const char* what) {
  std::vector<int64_t> e = err.to_vector<int64_t>();
  SP_CHECK(e[0] == 0, what, ": expected indices in [0, ", size, "), got ", e[1]);
}

template <typename F>
void with_index_type(const Tensor& idx, const char* what, F&& f) {
  dispatch_index(idx.dtype(), what, std::forward<F>(f));
}

}  // namespace

void index_select(const Tensor& out, const Tensor& t, int dim, const Tensor& indices) {
  check_same_device(t, indices, "index_select");
  const int dev = t.device().index;
  set_device(dev);
  const int64_t n = out.numel();
  if (n == 0) return;
  Tensor err = zeros({2}, DType::I64, t.device());
  Geometry g = geometry(out.shape(), t, out, nullptr, dim, indices.dim() ? indices.stride(0) : 0);
  with_index_type(indices, "index_select", [&]<typename I>() {
    dispatch_all(t.dtype(), "index_select", [&]<typename T>() {
      read_kernel<T, I><<<blocks_for(n), 256, 0, stream(dev)>>>(
          static_cast<T*>(out.data_ptr()), static_cast<const T*>(t.data_ptr()),
          static_cast<const I*>(indices.data_ptr()), g, n, false,
          static_cast<long long*>(err.data_ptr()));
      SP_CUDA_LAUNCH_CHECK("index_select read_kernel");
    });
  });
  check_errors(err, t.size(dim), "index_select");
}

void gather(const Tensor& out, const Tensor& t, int dim, const Tensor& index) {
  check_same_device(t, index, "gather");
  const int dev = t.device().index;
  set_device(dev);
  const int64_t n = out.numel();
  if (n == 0) return;
  Tensor err = zeros({2}, DType::I64, t.device());
  Geometry g = geometry(index.shape(), t, out, &index, dim, 0);
  with_index_type(index, "gather", [&]<typename I>() {
    dispatch_all(t.dtype(), "gather", [&]<typename T>() {
      read_kernel<T, I><<<blocks_for(n), 256, 0, stream(dev)>>>(
          static_cast<T*>(out.data_ptr()), static_cast<const T*>(t.data_ptr()),
          static_cast<const I*>(index.data_ptr()), g, n, true,
          static_cast<long long*>(err.data_ptr()));
      SP_CUDA_LAUNCH_CHECK("gather read_kernel");
    });
  });
  check_errors(err, t.size(dim), "gather");
}

namespace {
template <typename F>
void dispatch_atomic(DType t, const char* what, F&& f) {
  SP_CHECK(t != DType::U8 && t != DType::Bool, what,
           ": expected dtype f32, f64, f16, bf16, i32 or i64 on CUDA, got ", t);
  dispatch_numeric(t, what, std::forward<F>(f));
}
}  // namespace

void scatter_add(const Tensor& t, int dim, const Tensor& index, const Tensor& src) {
  check_same_device(t, index, "scatter_add");
  check_same_device(t, src, "scatter_add");
  const int dev = t.device().index;
  set_device(dev);
  const int64_t n = index.numel();
  if (n == 0) return;
  Tensor err = zeros({2}, DType::I64, t.device());
  Geometry g = geometry(index.shape(), t, src, &index, dim, 0);
  with_index_type(index, "scatter_add", [&]<typename I>() {
    dispatch_atomic(t.dtype(), "scatter_add", [&]<typename T>() {
      add_kernel<T, I><<<blocks_for(n), 256, 0, stream(dev)>>>(
          static_cast<T*>(t.data_ptr()), static_cast<const T*>(src.data_ptr()),
          static_cast<const I*>(index.data_ptr()), g, n, true, 1.0,
          static_cast<long long*>(err.data_ptr()));
      SP_CUDA_LAUNCH_CHECK("scatter_add add_kernel");
    });
  });
  check_errors(err, t.size(dim), "scatter_add");
}

void index_add(const Tensor& t, int dim, const Tensor& indices, const Tensor& src, double alpha) {
  check_same_device(t, indices, "index_add");
  check_same_device(t, src, "index_add");
  const int dev = t.device().index;
  set_device(dev);
  const int64_t n = src.numel();
  if (n == 0) return;
  Tensor err = zeros({2}, DType::I64, t.device());
  Geometry g = geometry(src.shape(), t, src, nullptr, dim, indices.dim() ? indices.stride(0) : 0);
  with_index_type(indices, "index_add", [&]<typename I>() {
    dispatch_atomic(t.dtype(), "index_add", [&]<typename T>() {
      add_kernel<T, I><<<blocks_for(n), 256, 0, stream(dev)>>>(
          static_cast<T*>(t.data_ptr()), static_cast<const T*>(src.data_ptr()),
          static_cast<const I*>(indices.data_ptr()), g, n, false, alpha,
          static_cast<long long*>(err.data_ptr()));
      SP_CUDA_LAUNCH_CHECK("index_add add_kernel");
    });
  });
  check_errors(err, t.size(dim), "index_add");
}

}  // namespace sp::cuda
