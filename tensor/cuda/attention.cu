// Flash-style attention on the GPU (tensor/cuda/attention.h). Tiles live in shared memory
// in the accumulation type A (f32; f64 for f64), converted on load, so f16/bf16 inputs are
// read directly. A block of 4 warps owns kBQ = 16 query rows (4 per warp); per tile of
// kBK = 32 keys each lane scores one key against its warp's 4 rows (the key row read once
// for 4 products), the online softmax runs with warp shuffles, and for O += P V each lane
// owns the output columns lane, lane + 32, ... Backward: D = rowsum(dO * O); one kernel
// per key tile accumulating dK and dV in registers over all query tiles (4 threads per
// key, columns strided by 4), one per query tile for dQ (recomputing P and dP), so every
// gradient is written once: no atomics, deterministic.
#include <cmath>

#include "tensor/cuda/attention.h"
#include "tensor/cuda/launch.cuh"
#include "tensor/cuda/loops.cuh"
#include "tensor/ops/creation.h"

namespace sp::cuda {
namespace {

constexpr int kWarps = 4, kThreads = 32 * kWarps;
constexpr int kBQ = 16, kRows = kBQ / kWarps;  // query rows per block, per warp
constexpr int kBK = 32;                        // keys per tile (one per lane)
constexpr int kMaxHead = 256;

template <typename T>
using acc = std::conditional_t<std::is_same_v<T, double>, double, float>;

// A [*, rows, cols] operand: leading sizes/strides (to find a batch's offset), row and
// column strides.
struct Rows {
  const void* p = nullptr;
  int lead = 0;
  int64_t sizes[kMaxRank] = {}, strides[kMaxRank] = {};
  int64_t rs = 0, cs = 1;
  __device__ int64_t offset(int64_t b) const {
    int64_t o = 0;
    for (int d = lead - 1; d >= 0; --d) {
      o += (b % sizes[d]) * strides[d];
      b /= sizes[d];
    }
    return o;
  }
};

Rows rows_of(const Tensor& t) {
  Rows r;
  if (!t.defined()) return r;
  r.p = t.data_ptr();
  r.lead = t.dim() - 2;
  for (int d = 0; d < r.lead; ++d) r.sizes[d] = t.size(d), r.strides[d] = t.stride(d);
  r.rs = t.stride(-2);
  r.cs = t.stride(-1);
  return r;
}

struct Params {
  int64_t n, m, d, dv;
  double scale;
  Rows q, k, v, mask, dout;
};

template <typename A>
__device__ A warp_max(A v) {
  for (int o = 16; o > 0; o >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
template <typename A>
__device__ A warp_sum(A v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
template <typename A>
__device__ A neg_inf() {
  return -INFINITY;
}

template <typename T>
__device__ acc<T> load(const Rows& r, int64_t off, int64_t row, int64_t col) {
  return acc<T>(acc_t<T>(static_cast<const T*>(r.p)[off + row * r.rs + col]));
}
__device__ bool allowed(const Rows& mask, int64_t off, int64_t row, int64_t key) {
  return !mask.p || static_cast<const bool*>(mask.p)[off + row * mask.rs + key * mask.cs];
}

// rows [r0, r0 + count) of an operand into a [count][pitch] shared tile (zeros past `limit`).
template <typename T>
__device__ void load_tile(acc<T>* dst, const Rows& src, int64_t off, int64_t r0, int count,
                          int64_t limit, int64_t cols, int64_t pitch) {
  for (int64_t idx = threadIdx.x; idx < count * cols; idx += blockDim.x) {
    const int64_t r = idx / cols, c = idx % cols;
    dst[r * pitch + c] = r0 + r < limit ? load<T>(src, off, r0 + r, c) : acc<T>(0);
  }
}

// scale q_row . k_lane over a warp's rows (sQ pitch d, sK pitch d + 1).
template <typename A>
__device__ void scores(A (&s)[kRows], const A* sQ, const A* sK, int warp, int lane, int64_t d) {
  for (int r = 0; r < kRows; ++r) s[r] = 0;
  for (int64_t p = 0; p < d; ++p) {
    const A kv = sK[lane * (d + 1) + p];
    for (int r = 0; r < kRows; ++r) s[r] += sQ[(warp * kRows + r) * d + p] * kv;
  }
}

template <typename T, int kCols>
__global__ void forward_kernel(Params p, T* out, acc<T>* lse) {
  using A = acc<T>;
  extern __shared__ unsigned char smem[];
  A* sQ = reinterpret_cast<A*>(smem);  // [kBQ][d]
  A* sK = sQ + kBQ * p.d;              // [kBK][d + 1]
  A* sV = sK + kBK * (p.d + 1);        // [kBK][dv]
  A* sP = sV + kBK * p.dv;             // [kBQ][kBK]
  const int64_t b = blockIdx.y, i0 = int64_t(blockIdx.x) * kBQ;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t qo = p.q.offset(b), ko = p.k.offset(b), vo = p.v.offset(b),
                mo = p.mask.p ? p.mask.offset(b) : 0;
  load_tile<T>(sQ, p.q, qo, i0, kBQ, p.n, p.d, p.d);
  A m_run[kRows], l_run[kRows], o[kRows][kCols];
  for (int r = 0; r < kRows; ++r) {
    m_run[r] = neg_inf<A>();
    l_run[r] = 0;
    for (int t = 0; t < kCols; ++t) o[r][t] = 0;
  }
  for (int64_t j0 = 0; j0 < p.m; j0 += kBK) {
    __syncthreads();  // the previous tile is consumed (and sQ loaded, the first time)
    load_tile<T>(sK, p.k, ko, j0, kBK, p.m, p.d, p.d + 1);
    load_tile<T>(sV, p.v, vo, j0, kBK, p.m, p.dv, p.dv);
    __syncthreads();
    A s[kRows];
    scores(s, sQ, sK, warp, lane, p.d);
    const int64_t key = j0 + lane;
    for (int r = 0; r < kRows; ++r) {
      const int64_t row = i0 + warp * kRows + r;
      const bool ok = row < p.n && key < p.m && allowed(p.mask, mo, row, key);
      const A x = ok ? s[r] * A(p.scale) : neg_inf<A>();
      const A m_new = max(m_run[r], warp_max(x));
      const A e = ok ? exp(x - m_new) : A(0);
      const A alpha = m_run[r] == neg_inf<A>() ? A(0) : exp(m_run[r] - m_new);
      l_run[r] = l_run[r] * alpha + warp_sum(e);
      m_run[r] = m_new;
      for (int t = 0; t < kCols; ++t) o[r][t] *= alpha;
      sP[(warp * kRows + r) * kBK + lane] = e;
    }
    __syncwarp();
    for (int j = 0; j < kBK; ++j)
      for (int t = 0; t < kCols; ++t) {
        const int64_t c = lane + 32 * t;
        if (c >= p.dv) break;
        const A vj = sV[j * p.dv + c];
        for (int r = 0; r < kRows; ++r) o[r][t] += sP[(warp * kRows + r) * kBK + j] * vj;
      }
    __syncwarp();
  }
  for (int r = 0; r < kRows; ++r) {
    const int64_t row = i0 + warp * kRows + r;
    if (row >= p.n) break;
    const A inv = l_run[r] > A(0) ? A(1) / l_run[r] : A(0);
    for (int t = 0; t < kCols; ++t) {
      const int64_t c = lane + 32 * t;
      if (c < p.dv) out[(b * p.n + row) * p.dv + c] = T(acc_t<T>(o[r][t] * inv));
    }
    if (lane == 0) lse[b * p.n + row] = l_run[r] > A(0) ? m_run[r] + log(l_run[r]) : neg_inf<A>();
  }
}

// D[b * n + i] = dO_i . O_i (out contiguous [batch, n, dv]); one warp per row.
template <typename T>
__global__ void row_dot_kernel(acc<T>* D, Params p, const T* out, int64_t rows) {
  using A = acc<T>;
  const int64_t row = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const int64_t b = row / p.n, i = row % p.n, go = p.dout.offset(b);
  A s = 0;
  for (int64_t c = lane; c < p.dv; c += 32)
    s += load<T>(p.dout, go, i, c) * A(acc_t<T>(out[row * p.dv + c]));
  s = warp_sum(s);
  if (lane == 0) D[row] = s;
}

// P and dS of a warp's rows against the lanes' keys (sQ [kBQ][d], sdO [kBQ][dv], sK
// [kBK][d + 1], sV [kBK][dv + 1]); rows/keys out of range, masked, or in empty rows give 0.
template <typename A>
__device__ void probabilities(A (&P)[kRows], A (&dS)[kRows], const Params& p, const A* sQ,
                              const A* sdO, const A* sK, const A* sV, const A* lse, const A* D,
                              int64_t i0, int64_t j0, int64_t mo, int warp, int lane) {
  A s[kRows], dp[kRows];
  scores(s, sQ, sK, warp, lane, p.d);
  for (int r = 0; r < kRows; ++r) dp[r] = 0;
  for (int64_t c = 0; c < p.dv; ++c) {
    const A vv = sV[lane * (p.dv + 1) + c];
    for (int r = 0; r < kRows; ++r) dp[r] += sdO[(warp * kRows + r) * p.dv + c] * vv;
  }
  const int64_t key = j0 + lane;
  for (int r = 0; r < kRows; ++r) {
    const int64_t rr = warp * kRows + r, row = i0 + rr;
    const bool ok =
        row < p.n && key < p.m && lse[rr] != neg_inf<A>() && allowed(p.mask, mo, row, key);
    P[r] = ok ? exp(s[r] * A(p.scale) - lse[rr]) : A(0);
    dS[r] = P[r] * (dp[r] - D[rr]);
  }
}

// One block per (key tile, batch): dK, dV of 32 keys over every query tile. Thread t owns
// key t / 4 and columns t % 4 + 4 u.
template <typename T, int kC4>
__global__ void key_grads_kernel(Params p, const acc<T>* lse_all, const acc<T>* D_all, T* gk,
                                 T* gv) {
  using A = acc<T>;
  extern __shared__ unsigned char smem[];
  A* sK = reinterpret_cast<A*>(smem);  // [kBK][d + 1]
  A* sV = sK + kBK * (p.d + 1);        // [kBK][dv + 1]
  A* sQ = sV + kBK * (p.dv + 1);       // [kBQ][d]
  A* sdO = sQ + kBQ * p.d;             // [kBQ][dv]
  A* sP = sdO + kBQ * p.dv;            // [kBQ][kBK]
  A* sdS = sP + kBQ * kBK;             // [kBQ][kBK]
  A* slse = sdS + kBQ * kBK;           // [kBQ]
  A* sD = slse + kBQ;                  // [kBQ]
  const int64_t b = blockIdx.y, j0 = int64_t(blockIdx.x) * kBK;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int key_local = threadIdx.x / 4, col0 = threadIdx.x % 4;
  const int64_t qo = p.q.offset(b), ko = p.k.offset(b), vo = p.v.offset(b), go = p.dout.offset(b);
  const int64_t mo = p.mask.p ? p.mask.offset(b) : 0;
  load_tile<T>(sK, p.k, ko, j0, kBK, p.m, p.d, p.d + 1);
  load_tile<T>(sV, p.v, vo, j0, kBK, p.m, p.dv, p.dv + 1);
  A dk[kC4], dv[kC4];
  for (int u = 0; u < kC4; ++u) dk[u] = dv[u] = 0;
  for (int64_t i0 = 0; i0 < p.n; i0 += kBQ) {
    __syncthreads();
    load_tile<T>(sQ, p.q, qo, i0, kBQ, p.n, p.d, p.d);
    load_tile<T>(sdO, p.dout, go, i0, kBQ, p.n, p.dv, p.dv);
    if (threadIdx.x < kBQ) {
      const int64_t row = i0 + threadIdx.x;
      slse[threadIdx.x] = row < p.n ? lse_all[b * p.n + row] : neg_inf<A>();
      sD[threadIdx.x] = row < p.n ? D_all[b * p.n + row] : A(0);
    }
    __syncthreads();
    A P[kRows], dS[kRows];
    probabilities(P, dS, p, sQ, sdO, sK, sV, slse, sD, i0, j0, mo, warp, lane);
    for (int r = 0; r < kRows; ++r) {
      sP[(warp * kRows + r) * kBK + lane] = P[r];
      sdS[(warp * kRows + r) * kBK + lane] = dS[r];
    }
    __syncthreads();
    for (int r = 0; r < kBQ; ++r) {
      const A pr = sP[r * kBK + key_local], dsr = sdS[r * kBK + key_local];
      for (int u = 0; u < kC4; ++u) {
        const int64_t c = col0 + 4 * u;
        if (c < p.dv) dv[u] += pr * sdO[r * p.dv + c];
        if (c < p.d) dk[u] += dsr * sQ[r * p.d + c];
      }
    }
  }
  const int64_t key = j0 + key_local;
  if (key >= p.m) return;
  for (int u = 0; u < kC4; ++u) {
    const int64_t c = col0 + 4 * u;
    if (c < p.d) gk[(b * p.m + key) * p.d + c] = T(acc_t<T>(dk[u] * A(p.scale)));
    if (c < p.dv) gv[(b * p.m + key) * p.dv + c] = T(acc_t<T>(dv[u]));
  }
}

// One block per (query tile, batch): dQ of 16 rows over every key tile; lanes own the
// columns lane + 32 t.
template <typename T, int kCols>
__global__ void query_grads_kernel(Params p, const acc<T>* lse_all, const acc<T>* D_all, T* gq) {
  using A = acc<T>;
  extern __shared__ unsigned char smem[];
  A* sQ = reinterpret_cast<A*>(smem);  // [kBQ][d]
  A* sdO = sQ + kBQ * p.d;             // [kBQ][dv]
  A* sK = sdO + kBQ * p.dv;            // [kBK][d + 1]
  A* sV = sK + kBK * (p.d + 1);        // [kBK][dv + 1]
  A* sdS = sV + kBK * (p.dv + 1);      // [kBQ][kBK]
  A* slse = sdS + kBQ * kBK;           // [kBQ]
  A* sD = slse + kBQ;                  // [kBQ]
  const int64_t b = blockIdx.y, i0 = int64_t(blockIdx.x) * kBQ;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t qo = p.q.offset(b), ko = p.k.offset(b), vo = p.v.offset(b), go = p.dout.offset(b);
  const int64_t mo = p.mask.p ? p.mask.offset(b) : 0;
  load_tile<T>(sQ, p.q, qo, i0, kBQ, p.n, p.d, p.d);
  load_tile<T>(sdO, p.dout, go, i0, kBQ, p.n, p.dv, p.dv);
  if (threadIdx.x < kBQ) {
    const int64_t row = i0 + threadIdx.x;
    slse[threadIdx.x] = row < p.n ? lse_all[b * p.n + row] : neg_inf<A>();
    sD[threadIdx.x] = row < p.n ? D_all[b * p.n + row] : A(0);
  }
  A dq[kRows][kCols];
  for (int r = 0; r < kRows; ++r)
    for (int t = 0; t < kCols; ++t) dq[r][t] = 0;
  for (int64_t j0 = 0; j0 < p.m; j0 += kBK) {
    __syncthreads();
    load_tile<T>(sK, p.k, ko, j0, kBK, p.m, p.d, p.d + 1);
    load_tile<T>(sV, p.v, vo, j0, kBK, p.m, p.dv, p.dv + 1);
    __syncthreads();
    A P[kRows], dS[kRows];
    probabilities(P, dS, p, sQ, sdO, sK, sV, slse, sD, i0, j0, mo, warp, lane);
    for (int r = 0; r < kRows; ++r) sdS[(warp * kRows + r) * kBK + lane] = dS[r];
    __syncwarp();
    for (int j = 0; j < kBK; ++j)
      for (int t = 0; t < kCols; ++t) {
        const int64_t c = lane + 32 * t;
        if (c >= p.d) break;
        const A kj = sK[j * (p.d + 1) + c];
        for (int r = 0; r < kRows; ++r) dq[r][t] += sdS[(warp * kRows + r) * kBK + j] * kj;
      }
    __syncwarp();
  }
  for (int r = 0; r < kRows; ++r) {
    const int64_t row = i0 + warp * kRows + r;
    if (row >= p.n) break;
    for (int t = 0; t < kCols; ++t) {
      const int64_t c = lane + 32 * t;
      if (c < p.d) gq[(b * p.n + row) * p.d + c] = T(acc_t<T>(dq[r][t] * A(p.scale)));
    }
  }
}

// Launches with `bytes` of dynamic shared memory (opting in above the 48 KiB default).
template <typename Kernel, typename... Args>
void launch(Kernel kernel, dim3 grid, size_t bytes, int dev, const char* what, Args... args) {
  if (bytes > 48 * 1024)
    SP_CUDA_CHECK(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
  kernel<<<grid, kThreads, bytes, stream(dev)>>>(args...);
  check_status(cudaGetLastError(), what, __FILE__, __LINE__);
}

Params params(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
              const Tensor& dout, double scale) {
  SP_CHECK(q.size(-1) <= kMaxHead && v.size(-1) <= kMaxHead,
           "scaled_dot_product_attention: expected head dims up to 256 on CUDA, got q ", q.shape(),
           " and v ", v.shape());
  return {q.size(-2), k.size(-2), q.size(-1), v.size(-1),    scale,
          rows_of(q), rows_of(k), rows_of(v), rows_of(mask), rows_of(dout)};
}

int64_t batch_of(const Tensor& q) {
  int64_t b = 1;
  for (int d = 0; d < q.dim() - 2; ++d) b *= q.size(d);
  return b;
}

unsigned blocks(int64_t n, int64_t per) {
  return unsigned((n + per - 1) / per);
}

}  // namespace

void attention_forward(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                       const Tensor& v, const Tensor& mask, double scale) {
  const int dev = q.device().index;
  set_device(dev);
  const Params p = params(q, k, v, mask, Tensor(), scale);
  const int64_t batch = batch_of(q);
  if (batch * p.n == 0) return;
  SP_CHECK(batch <= 65535,
           "scaled_dot_product_attention: expected at most 65535 batch entries on CUDA, got ",
           batch);
  dispatch_floating(q.dtype(), "scaled_dot_product_attention", [&]<typename T>() {
    using A = acc<T>;
    const size_t bytes = size_t(kBQ * p.d + kBK * (p.d + 1) + kBK * p.dv + kBQ * kBK) * sizeof(A);
    const dim3 grid(blocks(p.n, kBQ), unsigned(batch));
    T* o = out.data<T>();
    A* l = lse.data<A>();
    if (p.dv <= 64)
      launch(forward_kernel<T, 2>, grid, bytes, dev, "attention forward_kernel", p, o, l);
    else if (p.dv <= 128)
      launch(forward_kernel<T, 4>, grid, bytes, dev, "attention forward_kernel", p, o, l);
    else
      launch(forward_kernel<T, 8>, grid, bytes, dev, "attention forward_kernel", p, o, l);
  });
}

void attention_backward(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                        const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& out, const Tensor& lse, const Tensor& mask, double scale) {
  const int dev = q.device().index;
  set_device(dev);
  const Params p = params(q, k, v, mask, grad_out, scale);
  const int64_t batch = batch_of(q);
  if (batch * p.n * p.m == 0) {  // no scores: every gradient is zero
    for (const Tensor* g : {&grad_q, &grad_k, &grad_v})
      if (g->numel() > 0)
        SP_CUDA_CHECK(cudaMemsetAsync(g->data_ptr(), 0, g->nbytes(), stream(dev)));
    return;
  }
  SP_CHECK(
      batch <= 65535,
      "scaled_dot_product_attention_backward: expected at most 65535 batch entries on CUDA, got ",
      batch);
  dispatch_floating(q.dtype(), "scaled_dot_product_attention_backward", [&]<typename T>() {
    using A = acc<T>;
    Tensor D = empty({batch * p.n}, lse.dtype(), q.device());
    const int64_t rows = batch * p.n;
    row_dot_kernel<T>
        <<<blocks(rows * 32, 256), 256, 0, stream(dev)>>>(D.data<A>(), p, out.data<T>(), rows);
    SP_CUDA_LAUNCH_CHECK("attention row_dot_kernel");
    const A* l = lse.data<A>();
    const size_t key_bytes = size_t(kBK * (p.d + 1) + kBK * (p.dv + 1) + kBQ * p.d + kBQ * p.dv +
                                    2 * kBQ * kBK + 2 * kBQ) *
                             sizeof(A);
    const dim3 key_grid(blocks(p.m, kBK), unsigned(batch));
    if (std::max(p.d, p.dv) <= 64)
      launch(key_grads_kernel<T, 16>, key_grid, key_bytes, dev, "attention key_grads_kernel", p, l,
             D.data<A>(), grad_k.data<T>(), grad_v.data<T>());
    else
      launch(key_grads_kernel<T, 64>, key_grid, key_bytes, dev, "attention key_grads_kernel", p, l,
             D.data<A>(), grad_k.data<T>(), grad_v.data<T>());
    const size_t query_bytes =
        size_t(kBQ * p.d + kBQ * p.dv + kBK * (p.d + 1) + kBK * (p.dv + 1) + kBQ * kBK + 2 * kBQ) *
        sizeof(A);
    const dim3 query_grid(blocks(p.n, kBQ), unsigned(batch));
    if (p.d <= 64)
      launch(query_grads_kernel<T, 2>, query_grid, query_bytes, dev, "attention query_grads_kernel",
             p, l, D.data<A>(), grad_q.data<T>());
    else
      launch(query_grads_kernel<T, 8>, query_grid, query_bytes, dev, "attention query_grads_kernel",
             p, l, D.data<A>(), grad_q.data<T>());
  });
}

}  // namespace sp::cuda
