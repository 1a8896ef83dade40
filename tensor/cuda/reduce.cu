// Reductions, arg-reductions, cumsum and softmax on CUDA (tensor/cuda/reduce.h). The
// input is viewed as a contiguous [outer, R, inner] without a permuted copy whenever
// the reduced dims form one block (always for the public ops); then:
//   inner == 1: a block per row, or several blocks per row plus a second pass when rows
//               are few and long (a full reduction);
//   inner > 1:  column blocks (threads walk inner, coalesced) that split R, plus a
//               second pass when the outputs alone cannot fill the GPU.
// Partial results are combined in a fixed order (no atomics): reproducible run to run.
#include <cmath>
#include <limits>

#include "tensor/cuda/reduce.h"
#include "tensor/cuda/reduce_kernels.cuh"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

using namespace reduce_detail;

namespace {

template <typename T>
using racc_t =
    std::conditional_t<std::is_same_v<T, double>, double,
                       std::conditional_t<std::is_floating_point_v<acc_t<T>>, float, int64_t>>;

DType acc_dtype(DType t) {
  return t == DType::F64 ? DType::F64 : is_floating(t) ? DType::F32 : DType::I64;
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

int sm_count(int dev) {
  static int counts[64] = {};
  if (dev < 0 || dev >= 64) return 132;
  if (counts[dev] == 0) {
    int n = 0;
    check_status(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev),
                 "cudaDeviceGetAttribute", __FILE__, __LINE__);
    counts[dev] = n > 0 ? n : 132;
  }
  return counts[dev];
}

// Blocks of 256 threads that keep every SM busy.
int64_t target_blocks(int dev) {
  return int64_t(sm_count(dev)) * 8;
}

// A temporary device buffer of n states.
template <typename S>
Tensor scratch(int64_t n, Device device) {
  return empty({int64_t(n * int64_t(sizeof(S)))}, DType::U8, device);
}

// Runs `first` over in ([outer, R, inner], contiguous, R > 0), finishing each output;
// `second` (the same reducer loading partial states) finishes when R is split.
template <typename In, typename S, typename Red1, typename Red2>
void run_reduction(int dev, const In* in, int64_t outer, int64_t R, int64_t inner,
                   const Red1& first, const Red2& second) {
  cudaStream_t s = stream(dev);
  const int64_t target = target_blocks(dev);
  const Device device = cuda_device(dev);
  if (inner == 1) {
    const int64_t rows = outer;
    if (R <= 16) {
      serial_kernel<In, S><<<blocks_for(rows, 128), 128, 0, s>>>(in, rows, R, 1, first);
      SP_CUDA_LAUNCH_CHECK("serial_kernel");
      return;
    }
    int64_t chunks = 1;
    if (rows < target && R >= 8192) chunks = std::min(ceil_div(target, rows), ceil_div(R, 4096));
    const int64_t chunk = ceil_div(R, chunks);
    chunks = ceil_div(R, chunk);
    const int threads = chunk <= 256 ? 32 : chunk <= 2048 ? 128 : 256;
    const int grid = int(std::min<int64_t>(rows * chunks, 65535 * 8));
    if (chunks == 1) {
      rows_kernel<In, S><<<grid, threads, 0, s>>>(in, (S*)nullptr, rows, R, 1, R, first);
      SP_CUDA_LAUNCH_CHECK("rows_kernel");
      return;
    }
    Tensor partial = scratch<S>(rows * chunks, device);
    S* p = static_cast<S*>(partial.data_ptr());
    rows_kernel<In, S><<<grid, threads, 0, s>>>(in, p, rows, R, chunks, chunk, first);
    SP_CUDA_LAUNCH_CHECK("rows_kernel");
    const int threads2 = chunks <= 256 ? 32 : 256;
    rows_kernel<S, S><<<int(std::min<int64_t>(rows, 65535 * 8)), threads2, 0, s>>>(
        p, (S*)nullptr, rows, chunks, 1, chunks, second);
    SP_CUDA_LAUNCH_CHECK("rows_kernel");
    return;
  }
  const int64_t xblocks = ceil_div(inner, kColX);
  SP_CHECK(xblocks < (int64_t(1) << 31), "reduce: expected fewer than 2^36 inner elements, got ",
           inner);
  const int64_t base = xblocks * outer;
  int64_t splits = 1;
  if (base < target && R >= 64) splits = std::min(ceil_div(target, base), ceil_div(R, 64));
  const int64_t chunk = ceil_div(R, splits);
  splits = ceil_div(R, chunk);
  const dim3 block(kColX, kColY);
  const dim3 grid(unsigned(xblocks), unsigned(splits), unsigned(std::min<int64_t>(outer, 65535)));
  if (splits == 1) {
    cols_kernel<In, S><<<grid, block, 0, s>>>(in, (S*)nullptr, outer, R, inner, chunk, first);
    SP_CUDA_LAUNCH_CHECK("cols_kernel");
    return;
  }
  Tensor partial = scratch<S>(outer * splits * inner, device);
  S* p = static_cast<S*>(partial.data_ptr());
  cols_kernel<In, S><<<grid, block, 0, s>>>(in, p, outer, R, inner, chunk, first);
  SP_CUDA_LAUNCH_CHECK("cols_kernel");
  const dim3 grid2(unsigned(xblocks), 1u, unsigned(std::min<int64_t>(outer, 65535)));
  cols_kernel<S, S><<<grid2, block, 0, s>>>(p, (S*)nullptr, outer, splits, inner, splits, second);
  SP_CUDA_LAUNCH_CHECK("cols_kernel");
}

template <typename A>
__global__ void zero_inf_kernel(A* m, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    if (isinf(m[i])) m[i] = A(0);
}

// One value pass: combine C over transform xf, then fin.
template <typename T, typename A, typename C>
void value_pass(int dev, const T* in, int64_t outer, int64_t R, int64_t inner, A* out, Xf xf,
                Fin fin, double p, const A* shift) {
  ValueRed<A, C> first;
  first.xf = xf;
  first.fin = fin;
  first.p = A(p);
  first.count = A(R);
  first.shift = shift;
  first.out = out;
  ValueRed<A, C> second = first;
  second.xf = Xf::Id;
  run_reduction<T, A>(dev, in, outer, R, inner, first, second);
}

// `in` as a contiguous [outer, R, inner] over the `reduced` dims: without a copy when they
// form one block (ignoring size-1 dims), else with them permuted last (inner = 1).
struct Layout3 {
  Tensor x;
  int64_t outer = 1, R = 1, inner = 1;
  std::vector<int64_t> perm;  // set when permuted
};

Layout3 layout3(const Tensor& in, const std::vector<bool>& reduced) {
  Layout3 l;
  const int rank = in.dim();
  int first = -1, last = -1;
  for (int d = 0; d < rank; ++d)
    if (reduced[size_t(d)] && in.size(d) != 1) {
      if (first < 0) first = d;
      last = d;
    }
  bool block = true;
  for (int d = first; first >= 0 && d <= last; ++d)
    block = block && (reduced[size_t(d)] || in.size(d) == 1);
  if (block) {
    l.x = in.contiguous();
    for (int d = 0; d < rank; ++d) {
      if (reduced[size_t(d)])
        l.R *= in.size(d);
      else if (first >= 0 && d > last)
        l.inner *= in.size(d);
      else
        l.outer *= in.size(d);
    }
    return l;
  }
  for (int d = 0; d < rank; ++d)
    if (!reduced[size_t(d)]) l.perm.push_back(d), l.outer *= in.size(d);
  for (int d = 0; d < rank; ++d)
    if (reduced[size_t(d)]) l.perm.push_back(d), l.R *= in.size(d);
  l.x = in.permute(l.perm).contiguous();
  return l;
}

// When the reduced dims form several blocks (NCHW over {0, 2, 3}), the dims of the last
// block, else nothing.
std::vector<int> last_block_if_split(const Tensor& in, const std::vector<bool>& reduced) {
  int last = -1;
  for (int d = 0; d < in.dim(); ++d)
    if (reduced[size_t(d)] && in.size(d) != 1) last = d;
  if (last < 0) return {};
  int start = last;
  while (start > 0 && (reduced[size_t(start - 1)] || in.size(start - 1) == 1)) --start;
  std::vector<int> block;
  bool outside = false;
  for (int d = 0; d < in.dim(); ++d) {
    if (d >= start && d <= last) {
      if (reduced[size_t(d)]) block.push_back(d);
    } else if (reduced[size_t(d)] && in.size(d) != 1) {
      outside = true;
    }
  }
  return outside ? block : std::vector<int>{};
}

std::vector<bool> one_dim(const Tensor& in, int dim) {
  std::vector<bool> reduced(size_t(in.dim()), false);
  if (in.dim() > 0) reduced[size_t(dim)] = true;
  return reduced;
}

// out itself when it can take the results directly (contiguous, of dtype dt), else a buffer.
Tensor result_buffer(const Tensor& out, DType dt, const Shape& shape) {
  if (out.is_contiguous() && out.dtype() == dt && out.numel() == numel(shape)) return out;
  return empty(shape, dt, out.device());
}
void write_back(const Tensor& out, const Tensor& buf) {
  if (!buf.shares_storage(out)) copy_into(out, buf.view(out.shape()));
}

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& in, const std::vector<int>& dims,
            double param) {
  const int dev = in.device().index;
  set_device(dev);
  std::vector<bool> reduced(size_t(in.dim()), false);
  for (int d : dims) reduced[size_t(d)] = true;
  int64_t kept = 1, R = 1;
  for (int d = 0; d < in.dim(); ++d) (reduced[size_t(d)] ? R : kept) *= in.size(d);
  SP_CHECK(out.numel() == kept, "reduce: expected an output of ", kept, " elements, got ",
           out.shape());
  if (kept == 0) return;
  if (R == 0) {
    SP_CHECK(op != ReduceOp::Max && op != ReduceOp::Min,
             "reduce: expected a non-empty reduction for max/min, got ", in.shape());
    const double v = op == ReduceOp::Prod || op == ReduceOp::All                          ? 1.0
                     : op == ReduceOp::Mean || op == ReduceOp::Var || op == ReduceOp::Std ? NAN
                     : op == ReduceOp::LogSumExp ? -INFINITY
                                                 : 0.0;
    fill_into(out, v);
    return;
  }
  const bool float_only = op == ReduceOp::Norm || op == ReduceOp::Var || op == ReduceOp::Std ||
                          op == ReduceOp::LogSumExp;
  SP_CHECK(!float_only || is_floating(in.dtype()), "reduce: expected a floating dtype, got ",
           in.dtype());
  // Several blocks of reduced dims: reduce the last block into an accumulator-typed
  // tensor, then the rest, instead of permuting a copy of the input (a mean of equal-sized
  // group means is the mean).
  const bool decomposable = op == ReduceOp::Sum || op == ReduceOp::Mean || op == ReduceOp::Prod ||
                            op == ReduceOp::Max || op == ReduceOp::Min || op == ReduceOp::Any ||
                            op == ReduceOp::All;
  if (decomposable) {
    const std::vector<int> block = last_block_if_split(in, reduced);
    if (!block.empty()) {
      Shape mid = in.shape();
      for (int d : block) mid[d] = 1, reduced[size_t(d)] = false;
      Tensor partial = empty(mid, acc_dtype(in.dtype()), in.device());
      reduce(op, partial, in, block, param);
      std::vector<int> rest;
      for (int d = 0; d < in.dim(); ++d)
        if (reduced[size_t(d)]) rest.push_back(d);
      reduce(op, out, partial, rest, param);
      return;
    }
  }
  const Layout3 l = layout3(in, reduced);
  const DType adt = acc_dtype(in.dtype());
  Tensor acc = result_buffer(out, adt, {kept});
  dispatch_all(in.dtype(), "reduce", [&]<typename T>() {
    using A = racc_t<T>;
    const T* x = l.x.data<T>();
    A* o = acc.data<A>();
    const int64_t outer = l.outer, inner = l.inner;
    switch (op) {
      case ReduceOp::Sum:
        return value_pass<T, A, Plus>(dev, x, outer, R, inner, o, Xf::Id, Fin::None, 0, nullptr);
      case ReduceOp::Mean:
        return value_pass<T, A, Plus>(dev, x, outer, R, inner, o, Xf::Id, Fin::Div, 0, nullptr);
      case ReduceOp::Prod:
        return value_pass<T, A, Times>(dev, x, outer, R, inner, o, Xf::Id, Fin::None, 0, nullptr);
      case ReduceOp::Max:
        return value_pass<T, A, MaxNan>(dev, x, outer, R, inner, o, Xf::Id, Fin::None, 0, nullptr);
      case ReduceOp::Min:
        return value_pass<T, A, MinNan>(dev, x, outer, R, inner, o, Xf::Id, Fin::None, 0, nullptr);
      case ReduceOp::Any:
        return value_pass<T, A, MaxNan>(dev, x, outer, R, inner, o, Xf::NonZero, Fin::None, 0,
                                        nullptr);
      case ReduceOp::All:
        return value_pass<T, A, MinNan>(dev, x, outer, R, inner, o, Xf::NonZero, Fin::None, 0,
                                        nullptr);
      default:
        break;
    }
    if constexpr (kFloatAcc<A>) {
      if (op == ReduceOp::Norm) {
        const double p = param;
        if (std::isinf(p) && p > 0)
          value_pass<T, A, MaxNan>(dev, x, outer, R, inner, o, Xf::Abs, Fin::None, p, nullptr);
        else if (std::isinf(p))
          value_pass<T, A, MinNan>(dev, x, outer, R, inner, o, Xf::Abs, Fin::None, p, nullptr);
        else if (p == 0)
          value_pass<T, A, Plus>(dev, x, outer, R, inner, o, Xf::NonZero, Fin::None, p, nullptr);
        else
          value_pass<T, A, Plus>(dev, x, outer, R, inner, o, Xf::AbsPow, Fin::Root, p, nullptr);
      } else if (op == ReduceOp::Var || op == ReduceOp::Std) {
        // Two passes (mean, then squared deviations): exact enough without Welford.
        Tensor mean = empty({kept}, adt, in.device());
        value_pass<T, A, Plus>(dev, x, outer, R, inner, mean.data<A>(), Xf::Id, Fin::Div, 0,
                               nullptr);
        value_pass<T, A, Plus>(dev, x, outer, R, inner, o, Xf::SqDev,
                               op == ReduceOp::Var ? Fin::VarDiv : Fin::StdDiv, param,
                               mean.data<A>());
      } else if (op == ReduceOp::LogSumExp) {
        // The max, then log(sum(exp(x - shift))) + shift with shift = 0 where the max is +-inf.
        Tensor shift = empty({kept}, adt, in.device());
        value_pass<T, A, MaxNan>(dev, x, outer, R, inner, shift.data<A>(), Xf::Id, Fin::None, 0,
                                 nullptr);
        zero_inf_kernel<A><<<blocks_for(kept), 256, 0, stream(dev)>>>(shift.data<A>(), kept);
        SP_CUDA_LAUNCH_CHECK("zero_inf_kernel");
        value_pass<T, A, Plus>(dev, x, outer, R, inner, o, Xf::ExpShift, Fin::LogShift, 0,
                               shift.data<A>());
      }
    }
  });
  write_back(out, acc);
}

void arg_reduce(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                int dim) {
  const int dev = in.device().index;
  set_device(dev);
  const int64_t R = in.dim() > 0 ? in.size(dim) : 1;
  int64_t kept = 1;
  for (int d = 0; d < in.dim(); ++d)
    if (d != dim) kept *= in.size(d);
  SP_CHECK(indices.numel() == kept, "argmax: expected ", kept, " indices, got ", indices.shape());
  if (indices.numel() == 0) return;
  SP_CHECK(R > 0, is_max ? "max" : "min", ": expected a non-empty dim, got ", in.shape());
  const Layout3 l = layout3(in, one_dim(in, dim));
  Tensor acc_v = values.defined() ? result_buffer(values, acc_dtype(in.dtype()), {kept}) : Tensor();
  Tensor acc_i = result_buffer(indices, DType::I64, {kept});
  dispatch_all(in.dtype(), "argmax", [&]<typename T>() {
    using A = racc_t<T>;
    ArgRed<A> red;
    red.is_max = is_max;
    red.values = values.defined() ? acc_v.data<A>() : nullptr;
    red.indices = acc_i.data<int64_t>();
    run_reduction<T, ArgState<A>>(dev, l.x.data<T>(), l.outer, l.R, l.inner, red, red);
  });
  if (values.defined()) write_back(values, acc_v);
  write_back(indices, acc_i);
}

// ---- cumsum and softmax: one thread per (outer, inner) column when inner > 1 (coalesced
// across threads), a block per row when inner == 1.

namespace {

template <typename T, typename A>
__global__ void cumsum_kernel(const T* in, A* out, int64_t outer, int64_t R, int64_t inner) {
  const int64_t n = outer * inner;
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < n;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = idx / inner, i = idx - o * inner, base = o * R * inner + i;
    A s = 0;
    for (int64_t j = 0; j < R; ++j) {
      s += A(acc_t<T>(in[base + j * inner]));
      out[base + j * inner] = s;
    }
  }
}

// Softmax forward (grad == nullptr) or backward over rows of length R (inner == 1).
template <typename T>
__global__ void softmax_rows_kernel(const T* x, const T* grad, T* out, int64_t rows, int64_t R,
                                    bool is_log) {
  using A = acc_t<T>;
  const auto block_sum = [](A v) {
    v = block_reduce(v, ValueRed<A, Plus>{});
    __shared__ A r;
    if (threadIdx.x == 0) r = v;
    __syncthreads();
    const A res = r;
    __syncthreads();
    return res;
  };
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * R;
    T* o = out + row * R;
    if (grad == nullptr) {
      A m = -INFINITY;
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x) m = max_nan(m, A(xr[j]));
      m = block_reduce(m, ValueRed<A, MaxNan>{});
      __shared__ A mshared;
      if (threadIdx.x == 0) mshared = m;
      __syncthreads();
      m = mshared;
      __syncthreads();
      A s = 0;
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x) s += exp(A(xr[j]) - m);
      s = block_sum(s);
      const A ls = log(s);
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x)
        o[j] = T(is_log ? A(xr[j]) - m - ls : exp(A(xr[j]) - m) / s);
    } else {
      // xr is the forward output y; softmax: g_in = y (g - sum(g y)); log: g - exp(y) sum(g).
      const T* g = grad + row * R;
      A s = 0;
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x)
        s += is_log ? A(g[j]) : A(g[j]) * A(xr[j]);
      s = block_sum(s);
      for (int64_t j = threadIdx.x; j < R; j += blockDim.x)
        o[j] = T(is_log ? A(g[j]) - exp(A(xr[j])) * s : A(xr[j]) * (A(g[j]) - s));
    }
  }
}

// The same over columns [outer, R, inner] with inner > 1: one thread per column.
template <typename T>
__global__ void softmax_cols_kernel(const T* x, const T* grad, T* out, int64_t outer, int64_t R,
                                    int64_t inner, bool is_log) {
  using A = acc_t<T>;
  const int64_t n = outer * inner;
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < n;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = idx / inner, i = idx - o * inner, base = o * R * inner + i;
    const T* xc = x + base;
    T* oc = out + base;
    if (grad == nullptr) {
      A m = -INFINITY, s = 0;
      for (int64_t j = 0; j < R; ++j) m = max_nan(m, A(xc[j * inner]));
      for (int64_t j = 0; j < R; ++j) s += exp(A(xc[j * inner]) - m);
      const A ls = log(s);
      for (int64_t j = 0; j < R; ++j)
        oc[j * inner] = T(is_log ? A(xc[j * inner]) - m - ls : exp(A(xc[j * inner]) - m) / s);
    } else {
      const T* gc = grad + base;
      A s = 0;
      for (int64_t j = 0; j < R; ++j)
        s += is_log ? A(gc[j * inner]) : A(gc[j * inner]) * A(xc[j * inner]);
      for (int64_t j = 0; j < R; ++j) {
        const A y = A(xc[j * inner]), g = A(gc[j * inner]);
        oc[j * inner] = T(is_log ? g - exp(y) * s : y * (g - s));
      }
    }
  }
}

// Long rows (few of them): the max and the sum of exponentials by split reductions, then
// one elementwise pass.
template <typename T>
__global__ void softmax_apply_kernel(const T* x, T* out, const acc_t<T>* m, const acc_t<T>* s,
                                     int64_t n, int64_t R, bool is_log) {
  using A = acc_t<T>;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = k / R;
    const A v = A(x[k]) - m[row];
    out[k] = T(is_log ? v - log(s[row]) : exp(v) / s[row]);
  }
}

template <typename T>
void softmax_launch(int dev, const T* x, const T* grad, T* out, int64_t outer, int64_t R,
                    int64_t inner, bool log) {
  using A = acc_t<T>;
  cudaStream_t s = stream(dev);
  if (inner > 1) {
    softmax_cols_kernel<T>
        <<<blocks_for(outer * inner, 128), 128, 0, s>>>(x, grad, out, outer, R, inner, log);
    SP_CUDA_LAUNCH_CHECK("softmax_cols_kernel");
    return;
  }
  if (grad == nullptr && outer < sm_count(dev) && R >= 65536) {
    const Device device = cuda_device(dev);
    Tensor m = empty({outer}, dtype_v<A>, device), sum = empty({outer}, dtype_v<A>, device);
    value_pass<T, A, MaxNan>(dev, x, outer, R, 1, m.data<A>(), Xf::Id, Fin::None, 0, nullptr);
    value_pass<T, A, Plus>(dev, x, outer, R, 1, sum.data<A>(), Xf::ExpShift, Fin::None, 0,
                           m.data<A>());
    softmax_apply_kernel<T><<<blocks_for(outer * R), 256, 0, s>>>(x, out, m.data<A>(),
                                                                  sum.data<A>(), outer * R, R, log);
    SP_CUDA_LAUNCH_CHECK("softmax_apply_kernel");
    return;
  }
  softmax_rows_kernel<T><<<int(std::min<int64_t>(outer, 65535 * 8)), R <= 256 ? 32 : 256, 0, s>>>(
      x, grad, out, outer, R, log);
  SP_CUDA_LAUNCH_CHECK("softmax_rows_kernel");
}

}  // namespace

void cumsum(const Tensor& out, const Tensor& in, int dim) {
  const int dev = in.device().index;
  set_device(dev);
  if (in.numel() == 0) return;
  const Layout3 l = layout3(in, one_dim(in, dim));
  Tensor acc = result_buffer(out, acc_dtype(in.dtype()), in.shape());
  dispatch_all(in.dtype(), "cumsum", [&]<typename T>() {
    using A = racc_t<T>;
    cumsum_kernel<T, A><<<blocks_for(l.outer * l.inner, 128), 128, 0, stream(dev)>>>(
        l.x.data<T>(), acc.data<A>(), l.outer, l.R, l.inner);
    SP_CUDA_LAUNCH_CHECK("cumsum_kernel");
  });
  write_back(out, acc);
}

void softmax(const Tensor& out, const Tensor& in, int dim, bool log) {
  const int dev = in.device().index;
  set_device(dev);
  if (in.numel() == 0) return;
  const Layout3 l = layout3(in.to(out.dtype()), one_dim(in, dim));
  Tensor y = result_buffer(out, out.dtype(), in.shape());
  dispatch_floating(out.dtype(), log ? "log_softmax" : "softmax", [&]<typename T>() {
    softmax_launch<T>(dev, l.x.data<T>(), nullptr, y.data<T>(), l.outer, l.R, l.inner, log);
  });
  write_back(out, y);
}

void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& output, int dim,
                      bool log) {
  const int dev = output.device().index;
  set_device(dev);
  if (output.numel() == 0) return;
  const DType dt = grad_in.dtype();
  const Layout3 ly = layout3(output.to(dt), one_dim(output, dim));
  const Layout3 lg = layout3(grad_out.to(dt), one_dim(output, dim));
  Tensor r = result_buffer(grad_in, dt, output.shape());
  dispatch_floating(dt, "softmax_backward", [&]<typename T>() {
    softmax_launch<T>(dev, ly.x.data<T>(), lg.x.data<T>(), r.data<T>(), ly.outer, ly.R, ly.inner,
                      log);
  });
  write_back(grad_in, r);
}

}  // namespace sp::cuda
