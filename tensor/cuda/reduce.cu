// Row kernels for reductions and softmax (tensor/cuda/reduce.h): the reduced dims are
// moved last and made contiguous, giving [rows, R]; one block (32 or 256 threads)
// reduces each row with warp shuffles. Results go to a contiguous accumulator-typed
// buffer and are then copied (with conversion and the caller's strides) into out.
#include "tensor/cuda/reduce.h"

#include <cmath>
#include <limits>

#include "tensor/cuda/loops.cuh"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

template <typename T>
using racc_t = std::conditional_t<std::is_same_v<T, double>, double,
                                  std::conditional_t<std::is_floating_point_v<acc_t<T>>, float, int64_t>>;
template <typename A>
inline constexpr bool kFloatAcc = std::is_floating_point_v<A>;

template <typename A>
__device__ __forceinline__ bool nan_(A x) {
  if constexpr (kFloatAcc<A>) return x != x;
  else return false;
}

template <typename A>
__device__ __forceinline__ A max_nan(A a, A b) { return (nan_(a) || a > b) ? a : b; }
template <typename A>
__device__ __forceinline__ A min_nan(A a, A b) { return (nan_(a) || a < b) ? a : b; }

// Combines v over the block; the result is returned to every thread.
template <typename A, typename F>
__device__ A block_all_reduce(A v, F combine) {
  __shared__ A warp_vals[32];
  __shared__ A result;
  for (int o = 16; o > 0; o >>= 1) v = combine(v, __shfl_down_sync(0xffffffffu, v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  if (warps > 1) {
    if (lane == 0) warp_vals[warp] = v;
    __syncthreads();
    if (warp == 0) {
      v = warp_vals[lane < warps ? lane : 0];
      for (int o = 16; o > 0; o >>= 1) {
        A other = __shfl_down_sync(0xffffffffu, v, o);
        if (lane + o < warps) v = combine(v, other);
      }
    }
  }
  if (threadIdx.x == 0) result = v;
  __syncthreads();
  A r = result;
  __syncthreads();  // the shared slots may be reused by the next call
  return r;
}

struct Plus {
  template <typename A> __device__ A operator()(A a, A b) const { return a + b; }
};
struct Times {
  template <typename A> __device__ A operator()(A a, A b) const { return a * b; }
};
struct MaxNan {
  template <typename A> __device__ A operator()(A a, A b) const { return max_nan(a, b); }
};
struct MinNan {
  template <typename A> __device__ A operator()(A a, A b) const { return min_nan(a, b); }
};

template <typename T, typename A>
__global__ void reduce_rows_kernel(const T* in, A* out, int64_t rows, int64_t R, ReduceOp op, double param) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* x = in + row * R;
    A r = 0;
    switch (op) {
      case ReduceOp::Sum: case ReduceOp::Mean: {
        A s = 0;
        for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s += A(acc_t<T>(x[j]));
        r = block_all_reduce(s, Plus{});
        if (op == ReduceOp::Mean) r = r / A(R);
        break;
      }
      case ReduceOp::Prod: {
        A s = 1;
        for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s *= A(acc_t<T>(x[j]));
        r = block_all_reduce(s, Times{});
        break;
      }
      case ReduceOp::Max: case ReduceOp::Min: {
        A s = A(acc_t<T>(x[0]));
        for (int64_t j = threadIdx.x; j < R; j += blockDim.x) {
          A v = A(acc_t<T>(x[j]));
          s = op == ReduceOp::Max ? max_nan(s, v) : min_nan(s, v);
        }
        r = op == ReduceOp::Max ? block_all_reduce(s, MaxNan{}) : block_all_reduce(s, MinNan{});
        break;
      }
      case ReduceOp::Any: case ReduceOp::All: {
        A s = op == ReduceOp::All ? 1 : 0;
        for (int64_t j = threadIdx.x; j < R; j += blockDim.x) {
          const bool nz = acc_t<T>(x[j]) != acc_t<T>(0);
          s = op == ReduceOp::All ? A(s && nz) : A(s || nz);
        }
        r = op == ReduceOp::All ? block_all_reduce(s, MinNan{}) : block_all_reduce(s, MaxNan{});
        break;
      }
      default:
        if constexpr (kFloatAcc<A>) {
          if (op == ReduceOp::Norm) {
            const A p = A(param);
            if (isinf(p) && p > A(0)) {
              A s = 0;
              for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s = max_nan(s, A(fabs(A(acc_t<T>(x[j])))));
              r = block_all_reduce(s, MaxNan{});
            } else if (isinf(p)) {  // -inf: the smallest magnitude
              A s = INFINITY;
              for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s = min_nan(s, A(fabs(A(acc_t<T>(x[j])))));
              r = block_all_reduce(s, MinNan{});
            } else if (p == A(0)) {  // the number of non-zeros
              A s = 0;
              for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s += A(acc_t<T>(x[j]) != acc_t<T>(0));
              r = block_all_reduce(s, Plus{});
            } else {
              A s = 0;
              for (int64_t j = threadIdx.x; j < R; j += blockDim.x) {
                const A a = fabs(A(acc_t<T>(x[j])));
                s += p == A(2) ? a * a : p == A(1) ? a : pow(a, p);
              }
              s = block_all_reduce(s, Plus{});
              r = p == A(2) ? sqrt(s) : p == A(1) ? s : pow(s, A(1) / p);
            }
          } else if (op == ReduceOp::Var || op == ReduceOp::Std) {
            // Two passes (mean, then squared deviations): exact enough without Welford.
            A s = 0;
            for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s += A(acc_t<T>(x[j]));
            const A mean = block_all_reduce(s, Plus{}) / A(R);
            A q = 0;
            for (int64_t j = threadIdx.x; j < R; j += blockDim.x) {
              const A d = A(acc_t<T>(x[j])) - mean;
              q += d * d;
            }
            q = block_all_reduce(q, Plus{});
            // Like PyTorch: the divisor is max(0, R - correction), so it may give inf/NaN.
            const A denom = fmax(A(0), A(R) - A(param));
            r = q / denom;
            if (op == ReduceOp::Std) r = sqrt(r);
          } else if (op == ReduceOp::LogSumExp) {
            A m = -INFINITY;
            for (int64_t j = threadIdx.x; j < R; j += blockDim.x) m = max_nan(m, A(acc_t<T>(x[j])));
            m = block_all_reduce(m, MaxNan{});
            const A shift = isinf(m) ? A(0) : m;
            A s = 0;
            for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s += exp(A(acc_t<T>(x[j])) - shift);
            s = block_all_reduce(s, Plus{});
            r = log(s) + shift;
          }
        }
        break;
    }
    if (threadIdx.x == 0) out[row] = r;
  }
}

template <typename T, typename A>
__global__ void arg_reduce_kernel(const T* in, A* values, int64_t* indices, int64_t rows, int64_t R, bool is_max) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* x = in + row * R;
    A best = A(acc_t<T>(x[0]));
    int64_t best_i = 0;
    auto better = [is_max](A v, int64_t i, A b, int64_t bi) {
      if (nan_(b)) return nan_(v) && i < bi;
      if (nan_(v)) return true;
      if (v == b) return i < bi;
      return is_max ? v > b : v < b;
    };
    for (int64_t j = threadIdx.x; j < R; j += blockDim.x) {
      const A v = A(acc_t<T>(x[j]));
      if (better(v, j, best, best_i)) best = v, best_i = j;
    }
    for (int o = 16; o > 0; o >>= 1) {
      const A ov = __shfl_down_sync(0xffffffffu, best, o);
      const int64_t oi = __shfl_down_sync(0xffffffffu, best_i, o);
      if (better(ov, oi, best, best_i)) best = ov, best_i = oi;
    }
    __shared__ A sv[32];
    __shared__ int64_t si[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) sv[warp] = best, si[warp] = best_i;
    __syncthreads();
    if (threadIdx.x == 0) {
      for (int w = 1; w < warps; ++w)
        if (better(sv[w], si[w], best, best_i)) best = sv[w], best_i = si[w];
      if (values) values[row] = best;
      indices[row] = best_i;
    }
    __syncthreads();
  }
}

template <typename T, typename A>
__global__ void cumsum_kernel(const T* in, A* out, int64_t rows, int64_t R) {
  for (int64_t row = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; row < rows; row += int64_t(gridDim.x) * blockDim.x) {
    A s = 0;
    for (int64_t j = 0; j < R; ++j) {
      s += A(acc_t<T>(in[row * R + j]));
      out[row * R + j] = s;
    }
  }
}

// Softmax forward (grad == nullptr) or backward over rows of length R.
template <typename T>
__global__ void softmax_kernel(const T* x, const T* grad, T* out, int64_t rows, int64_t R, bool is_log) {
  using A = acc_t<T>;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * R;
    T* o = out + row * R;
    if (grad == nullptr) {
      A m = -INFINITY;
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x) m = max_nan(m, A(xr[j]));
      m = block_all_reduce(m, MaxNan{});
      A s = 0;
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s += exp(A(xr[j]) - m);
      s = block_all_reduce(s, Plus{});
      const A ls = log(s);
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x)
        o[j] = T(is_log ? A(xr[j]) - m - ls : exp(A(xr[j]) - m) / s);
    } else {
      // xr is the forward output y; softmax: g_in = y (g - sum(g y)); log: g - exp(y) sum(g).
      const T* g = grad + row * R;
      A s = 0;
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s += is_log ? A(g[j]) : A(g[j]) * A(xr[j]);
      s = block_all_reduce(s, Plus{});
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x)
        o[j] = T(is_log ? A(g[j]) - exp(A(xr[j])) * s : A(xr[j]) * (A(g[j]) - s));
    }
  }
}

int threads_for(int64_t R) { return R <= 256 ? 32 : 256; }
int row_blocks(int64_t rows) { return int(std::min<int64_t>(std::max<int64_t>(rows, 1), 65535 * 8)); }

// `in` with the dims of `reduced` moved last, contiguous, as [rows, R]; perm is the
// permutation used.
Tensor rows_view(const Tensor& in, const std::vector<bool>& reduced, int64_t* rows, int64_t* R,
                 std::vector<int64_t>* perm_out = nullptr) {
  std::vector<int64_t> perm;
  int64_t kept = 1, red = 1;
  for (int d = 0; d < in.dim(); ++d)
    if (!reduced[d]) perm.push_back(d), kept *= in.size(d);
  for (int d = 0; d < in.dim(); ++d)
    if (reduced[d]) perm.push_back(d), red *= in.size(d);
  *rows = kept;
  *R = red;
  if (perm_out) *perm_out = perm;
  return in.permute(perm).contiguous();
}

DType acc_dtype(DType t) { return t == DType::F64 ? DType::F64 : is_floating(t) ? DType::F32 : DType::I64; }

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& in, const std::vector<int>& dims, double param) {
  const int dev = in.device().index;
  set_device(dev);
  std::vector<bool> reduced(size_t(in.dim()), false);
  for (int d : dims) reduced[size_t(d)] = true;
  int64_t rows = 0, R = 0;
  Tensor x = rows_view(in, reduced, &rows, &R);
  SP_CHECK(out.numel() == rows, "reduce: expected an output of ", rows, " elements, got ", out.shape());
  if (rows == 0) return;
  if (R == 0) {
    SP_CHECK(op != ReduceOp::Max && op != ReduceOp::Min, "reduce: expected a non-empty reduction for max/min, got ",
             in.shape());
    const double v = op == ReduceOp::Prod || op == ReduceOp::All ? 1.0
                     : op == ReduceOp::Mean || op == ReduceOp::Var || op == ReduceOp::Std ? NAN
                     : op == ReduceOp::LogSumExp ? -INFINITY : 0.0;
    fill_into(out, v);
    return;
  }
  const bool float_only = op == ReduceOp::Norm || op == ReduceOp::Var || op == ReduceOp::Std ||
                          op == ReduceOp::LogSumExp;
  SP_CHECK(!float_only || is_floating(in.dtype()), "reduce: expected a floating dtype, got ", in.dtype());
  Tensor acc = empty({rows}, acc_dtype(in.dtype()), in.device());
  dispatch_all(in.dtype(), "reduce", [&]<typename T>() {
    using A = racc_t<T>;
    reduce_rows_kernel<T, A><<<row_blocks(rows), threads_for(R), 0, stream(dev)>>>(x.data<T>(), acc.data<A>(), rows,
                                                                                  R, op, param);
    SP_CUDA_LAUNCH_CHECK("reduce_rows_kernel");
  });
  copy_into(out, acc.view(out.shape()));
}

void arg_reduce(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in, int dim) {
  const int dev = in.device().index;
  set_device(dev);
  std::vector<bool> reduced(size_t(in.dim()), false);
  if (in.dim() > 0) reduced[size_t(dim)] = true;
  int64_t rows = 0, R = 0;
  Tensor x = rows_view(in, reduced, &rows, &R);
  SP_CHECK(indices.numel() == rows, "argmax: expected ", rows, " indices, got ", indices.shape());
  if (rows == 0) return;
  SP_CHECK(R > 0, is_max ? "max" : "min", ": expected a non-empty dim, got ", in.shape());
  Tensor acc_v = empty({rows}, acc_dtype(in.dtype()), in.device());
  Tensor acc_i = empty({rows}, DType::I64, in.device());
  dispatch_all(in.dtype(), "argmax", [&]<typename T>() {
    using A = racc_t<T>;
    arg_reduce_kernel<T, A><<<row_blocks(rows), threads_for(R), 0, stream(dev)>>>(
        x.data<T>(), values.defined() ? acc_v.data<A>() : nullptr, acc_i.data<int64_t>(), rows, R, is_max);
    SP_CUDA_LAUNCH_CHECK("arg_reduce_kernel");
  });
  if (values.defined()) copy_into(values, acc_v.view(values.shape()));
  copy_into(indices, acc_i.view(indices.shape()));
}

void cumsum(const Tensor& out, const Tensor& in, int dim) {
  const int dev = in.device().index;
  set_device(dev);
  if (in.numel() == 0) return;
  std::vector<bool> reduced(size_t(in.dim()), false);
  if (in.dim() > 0) reduced[size_t(dim)] = true;
  int64_t rows = 0, R = 0;
  std::vector<int64_t> perm;
  Tensor x = rows_view(in, reduced, &rows, &R, &perm);
  Tensor acc = empty(x.shape(), acc_dtype(in.dtype()), in.device());
  dispatch_all(in.dtype(), "cumsum", [&]<typename T>() {
    using A = racc_t<T>;
    cumsum_kernel<T, A><<<blocks_for(rows, 128), 128, 0, stream(dev)>>>(x.data<T>(), acc.data<A>(), rows, R);
    SP_CUDA_LAUNCH_CHECK("cumsum_kernel");
  });
  copy_into(out.permute(perm), acc);
}

void softmax(const Tensor& out, const Tensor& in, int dim, bool log) {
  const int dev = in.device().index;
  set_device(dev);
  if (in.numel() == 0) return;
  std::vector<bool> reduced(size_t(in.dim()), false);
  if (in.dim() > 0) reduced[size_t(dim)] = true;
  int64_t rows = 0, R = 0;
  std::vector<int64_t> perm;
  Tensor x = rows_view(in.to(out.dtype()), reduced, &rows, &R, &perm);
  Tensor y = empty(x.shape(), out.dtype(), out.device());
  dispatch_floating(out.dtype(), log ? "log_softmax" : "softmax", [&]<typename T>() {
    softmax_kernel<T><<<row_blocks(rows), threads_for(R), 0, stream(dev)>>>(x.data<T>(), nullptr, y.data<T>(), rows,
                                                                            R, log);
    SP_CUDA_LAUNCH_CHECK("softmax_kernel");
  });
  copy_into(out.permute(perm), y);
}

void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& output, int dim, bool log) {
  const int dev = output.device().index;
  set_device(dev);
  if (output.numel() == 0) return;
  std::vector<bool> reduced(size_t(output.dim()), false);
  if (output.dim() > 0) reduced[size_t(dim)] = true;
  int64_t rows = 0, R = 0;
  std::vector<int64_t> perm;
  const DType dt = grad_in.dtype();
  Tensor y = rows_view(output.to(dt), reduced, &rows, &R, &perm);
  Tensor g = rows_view(grad_out.to(dt), reduced, &rows, &R);
  Tensor r = empty(y.shape(), dt, output.device());
  dispatch_floating(dt, "softmax_backward", [&]<typename T>() {
    softmax_kernel<T><<<row_blocks(rows), threads_for(R), 0, stream(dev)>>>(y.data<T>(), g.data<T>(), r.data<T>(),
                                                                            rows, R, log);
    SP_CUDA_LAUNCH_CHECK("softmax_kernel");
  });
  copy_into(grad_in.permute(perm), r);
}

}  // namespace sp::cuda
