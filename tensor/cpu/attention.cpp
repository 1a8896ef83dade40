// CPU fused attention (tensor/ops/attention.h), FlashAttention's algorithm on cache tiles:
// forward, per (batch, block of kBQ queries): for each block of kBK keys, S = Q K^T with
// the register-tiled GEMM of gemm_tile.h, the online softmax (running row max m and sum
// l, rescaling the output accumulator when m grows), O = alpha O + P V; at the end O / l
// and lse = m + log l. No N x M matrix exists; per thread a few tiles stay in L1/L2.
// float32 accuracy: S is summed over d as two halves and each tile's P V apart from O, so
// no float32 running sum spans all of d or all keys (the drift from float64 halves).
// Backward, per (batch, key block) over every query block: P = exp(scale S - lse),
// dV += P^T dO, dP = dO V^T, dS = P (dP - D) with D_i = dO_i . O_i, dK += dS^T Q,
// dQ += dS K (dK, dQ scaled at the end). Key blocks of one batch run on one thread when
// there are enough batches; otherwise threads split the key blocks and sum private dQs.
// Masked scores are -inf: exp gives exactly 0, and a row without allowed keys keeps
// l = 0, giving zeros and lse = -inf.
#include "tensor/ops/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "tensor/cpu/gemm_tile.h"
#include "tensor/dispatch.h"
#include "tensor/ops/creation.h"

namespace sp::cpu {
namespace {

using namespace tile;
constexpr int64_t kBQ = 96;   // queries per block (rows of S)
constexpr int64_t kBK = 256;  // keys per block (columns of S)

// 64-byte aligned scratch of n elements.
template <typename T>
struct Scratch {
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> p;
  explicit Scratch(int64_t n)
      : p(static_cast<T*>(
            std::aligned_alloc(64, size_t(round_up(std::max<int64_t>(n, 1), 16)) * sizeof(T)))) {}
  T* get() const { return p.get(); }
};

// Offsets (in elements) of each leading-dims index of t ([*, rows, cols]).
std::vector<int64_t> batch_offsets(const Tensor& t) {
  const int lead = t.dim() - 2;
  int64_t count = 1;
  for (int d = 0; d < lead; ++d) count *= t.size(d);
  std::vector<int64_t> off(size_t(count), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rem = i;
    for (int d = lead - 1; d >= 0; --d) {
      off[size_t(i)] += (rem % t.size(d)) * t.stride(d);
      rem /= t.size(d);
    }
  }
  return off;
}

// A [*, rows, cols] operand: base pointer, per-batch offsets, row stride.
template <typename T>
struct Operand {
  const T* p = nullptr;
  std::vector<int64_t> off;
  int64_t rs = 0, cs = 1;
  Operand() = default;
  explicit Operand(const Tensor& t)
      : p(static_cast<const T*>(t.data_ptr())),
        off(batch_offsets(t)),
        rs(t.stride(-2)),
        cs(t.stride(-1)) {}
  const T* row(int64_t b, int64_t i) const { return p + off[size_t(b)] + i * rs; }
};

template <typename T>
struct Problem {
  int64_t batch, n, m, d, dv, dp, dvp;
  T scale;
  Operand<T> q, k, v;
  Operand<bool> mask;  // p == nullptr: no mask
};

// Prepares one row of a [rows, bkp] score tile: -inf where the mask forbids or j >= bk.
// A scale <= 0 is applied here and 1 returned; a positive one is returned for the max and
// exp passes to apply (max(scale s) = scale max(s)), which saves a pass over the row.
template <typename T>
T mask_row(T* s, int64_t bk, int64_t bkp, T scale, const bool* mrow, int64_t mcs) {
  constexpr int L = kLanes<T>;
  const T ninf = -std::numeric_limits<T>::infinity();
  if (!(scale > T(0))) {
    for (int64_t j = 0; j < bkp; j += L) store(s + j, load(s + j) * scale);
    scale = T(1);
  }
  if (mrow) {
    if (mcs == 0) {
      if (!mrow[0])
        for (int64_t j = 0; j < bk; ++j) s[j] = ninf;
    } else if (mcs == 1) {
      using Bytes = typename VecOf<T>::btype;
      using I = typename VecOf<T>::itype;
      int64_t j = 0;
      for (; j + L <= bk; j += L) {
        Bytes mb;
        std::memcpy(&mb, mrow + j, L);
        const I allowed = __builtin_convertvector(mb, I);
        store(s + j, allowed != 0 ? load(s + j) : splat(ninf));
      }
      for (; j < bk; ++j)
        if (!mrow[j]) s[j] = ninf;
    } else {
      for (int64_t j = 0; j < bk; ++j)
        if (!mrow[j * mcs]) s[j] = ninf;
    }
  }
  for (int64_t j = bk; j < bkp; ++j) s[j] = ninf;
  return scale;
}

// Kt[p, j] = K[j0 + j, p] for j < bk, zero for the padding columns.
template <typename T>
void pack_transposed(T* dst, const Operand<T>& src, int64_t b, int64_t j0, int64_t bk, int64_t bkp,
                     int64_t d) {
  for (int64_t p = 0; p < d; ++p)
    for (int64_t j = bk; j < bkp; ++j) dst[p * bkp + j] = T(0);
  for (int64_t j = 0; j < bk; ++j) {
    const T* r = src.row(b, j0 + j);
    for (int64_t p = 0; p < d; ++p) dst[p * bkp + j] = r[p];
  }
}

// dst[j, 0..cols_p) = rows j0 + j of src (cols columns), zero padding rows and columns.
template <typename T>
void pack_rows(T* dst, const Operand<T>& src, int64_t b, int64_t j0, int64_t rows, int64_t rows_p,
               int64_t cols, int64_t cols_p) {
  for (int64_t j = 0; j < rows_p; ++j) {
    T* o = dst + j * cols_p;
    int64_t c = 0;
    if (j < rows) {
      const T* r = src.row(b, j0 + j);
      for (; c < cols; ++c) o[c] = r[c];
    }
    for (; c < cols_p; ++c) o[c] = T(0);
  }
}

// Rows [r0, r0 + rows) of `op` as a GEMM B operand of cols_p columns: the rows themselves
// when they are whole vectors, else a zero-padded copy in buf.
template <typename T>
std::pair<const T*, int64_t> b_rows(const Operand<T>& op, int64_t b, int64_t r0, int64_t rows,
                                    int64_t cols, int64_t cols_p, T* buf) {
  if (cols == cols_p) return {op.row(b, r0), op.rs};
  pack_rows(buf, op, b, r0, rows, rows, cols, cols_p);
  return {buf, cols_p};
}

// How many leading keys of [j0, j0 + bk) rows [i0, i0 + bq) may attend: trailing keys that
// every row masks (key padding) are dropped from the tile's work, and a fully masked tile
// is skipped (0). Without a mask: bk.
inline int64_t allowed_keys(const Operand<bool>& mask, int64_t b, int64_t i0, int64_t bq,
                            int64_t j0, int64_t bk) {
  if (!mask.p) return bk;
  int64_t keep = 0;
  const int64_t rows = mask.rs == 0 ? 1 : bq;  // a key-padding mask has one distinct row
  for (int64_t r = 0; r < rows && keep < bk; ++r) {
    const bool* m = mask.row(b, i0 + r) + j0 * mask.cs;
    for (int64_t j = bk - 1; j >= keep; --j)
      if (m[j * mask.cs]) {
        keep = j + 1;
        break;
      }
  }
  return keep;
}

// K^T (or V^T) of every batch entry in key blocks, packed once and read by every query
// block: block (b, kb) is [cols][kBK], the keys kb * kBK ... as zero-padded columns, so a
// GEMM walks it with a short row stride (the whole sequence as the stride would alias in
// L1 at 4 KiB multiples).
template <typename T>
struct TransposedBlocks {
  Tensor data;  // a tensor, so that the host block cache recycles it between calls
  int64_t nkb, cols;
  TransposedBlocks(const Operand<T>& op, int64_t batch, int64_t m, int64_t cols_)
      : data(empty({batch * ((m + kBK - 1) / kBK) * cols_ * kBK}, dtype_v<T>)),
        nkb((m + kBK - 1) / kBK),
        cols(cols_) {
    T* p = data.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t item = 0; item < batch * nkb; ++item) {
      const int64_t b = item / nkb, j0 = (item % nkb) * kBK;
      pack_transposed(p + item * cols * kBK, op, b, j0, std::min(kBK, m - j0), kBK, cols);
    }
  }
  const T* block(int64_t b, int64_t j0) const {
    return data.data<T>() + (b * nkb + j0 / kBK) * cols * kBK;
  }
};

// dst[0, n) += src[0, n), n a multiple of the lane count.
template <typename T>
void add_into(T* dst, const T* src, int64_t n) {
  for (int64_t c = 0; c < n; c += kLanes<T>) store(dst + c, load(dst + c) + load(src + c));
}

// S[bq, bkp] = Q Kt over d as two half sums: the first in S, the second in tmp (returned;
// nullptr for d < 16: S is whole) for the row passes to add. float32 logits then carry about
// half the rounding error of one running sum over d, and exp turns a logit error into the
// same relative error of every weight (the Float32Drift test measures it).
template <typename T>
const T* scores(int64_t bq, int64_t bkp, int64_t d, const T* Q, int64_t ldq, const T* Kt, T* S,
                T* tmp) {
  const int64_t h = d / 2;
  if (h < 8) {
    gemm<T>(bq, bkp, d, Q, ldq, 1, Kt, kBK, S, bkp, false);
    return nullptr;
  }
  gemm<T>(bq, bkp, h, Q, ldq, 1, Kt, kBK, S, bkp, false);
  gemm<T>(bq, bkp, d - h, Q + h, ldq, 1, Kt + h * kBK, kBK, tmp, bkp, false);
  return tmp;
}

template <typename T>
void forward(const Problem<T>& pr, T* out, T* lse) {
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  constexpr int L = kLanes<T>;
  const int64_t nqb = (pr.n + kBQ - 1) / kBQ;
  const TransposedBlocks<T> kt(pr.k, pr.batch, pr.m, pr.d);
#pragma omp parallel
  {
    Scratch<T> s_buf(kBQ * kBK), v_buf(kBK * pr.dvp), o_buf(kBQ * pr.dvp),
        t_buf(kBQ * std::max(kBK, pr.dvp));
    std::vector<T> mrow(kBQ), lrow(kBQ), arow(kBQ);
    T *S = s_buf.get(), *O = o_buf.get(), *tmp = t_buf.get();
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < pr.batch * nqb; ++item) {
      const int64_t b = item / nqb, i0 = (item % nqb) * kBQ, bq = std::min(kBQ, pr.n - i0);
      const T* Q = pr.q.row(b, i0);
      std::fill(O, O + bq * pr.dvp, T(0));
      std::fill(mrow.begin(), mrow.end(), ninf);
      std::fill(lrow.begin(), lrow.end(), T(0));
      for (int64_t j0 = 0; j0 < pr.m; j0 += kBK) {
        const int64_t bk = allowed_keys(pr.mask, b, i0, bq, j0, std::min(kBK, pr.m - j0));
        if (bk == 0) continue;  // every key of the tile masked for these rows
        const int64_t bkp = round_up(bk, L);
        const T* half = scores(bq, bkp, pr.d, Q, pr.q.rs, kt.block(b, j0), S, tmp);  // Q K^T
        for (int64_t r = 0; r < bq; ++r) {
          T* x = S + r * bkp;
          if (half) add_into(x, half + r * bkp, bkp);
          const T sc =
              mask_row(x, bk, bkp, pr.scale,
                       pr.mask.p ? pr.mask.row(b, i0 + r) + j0 * pr.mask.cs : nullptr, pr.mask.cs);
          Vec<T> mx = splat(ninf);
          for (int64_t j = 0; j < bkp; j += L) mx = vmax<T>(mx, load(x + j));
          const T m_new = std::max(mrow[size_t(r)], sc * hmax<T>(mx));
          if (m_new == ninf) {  // nothing allowed yet in this row: P = 0
            std::fill(x, x + bkp, T(0));
            arow[size_t(r)] = T(1);
            continue;
          }
          Vec<T> sum{};
          const Vec<T> vsc = splat(sc), vm = splat(m_new);
          for (int64_t j = 0; j < bkp; j += L) {
            const Vec<T> e = vexp_nonpositive(load(x + j) * vsc - vm);
            store(x + j, e);
            sum += e;
          }
          const T alpha = std::exp(mrow[size_t(r)] - m_new);  // 0 when the old max was -inf
          lrow[size_t(r)] = lrow[size_t(r)] * alpha + hsum<T>(sum);
          mrow[size_t(r)] = m_new;
          arow[size_t(r)] = alpha;
        }
        const auto [V, ldv] = b_rows(pr.v, b, j0, bk, pr.dv, pr.dvp, v_buf.get());
        // O = alpha O + P V, the tile's product summed apart: a running sum over every key
        // would grow the rounding error with the key count.
        gemm<T>(bq, pr.dvp, bk, S, bkp, 1, V, ldv, tmp, pr.dvp, false);
        for (int64_t r = 0; r < bq; ++r) {
          T* o = O + r * pr.dvp;
          const T* t = tmp + r * pr.dvp;
          const Vec<T> a = splat(arow[size_t(r)]);
          for (int64_t c = 0; c < pr.dvp; c += L) store(o + c, load(o + c) * a + load(t + c));
        }
      }
      for (int64_t r = 0; r < bq; ++r) {
        const T l = lrow[size_t(r)];
        const T inv = l > T(0) ? T(1) / l : T(0);
        T* o = out + ((b * pr.n) + i0 + r) * pr.dv;
        for (int64_t c = 0; c < pr.dv; ++c) o[c] = O[r * pr.dvp + c] * inv;
        lse[b * pr.n + i0 + r] = l > T(0) ? mrow[size_t(r)] + std::log(l) : ninf;
      }
    }
  }
}

// D[b, i] = dO_i . O_i, the softmax backward's row term.
template <typename T>
std::vector<T> row_dots(const Problem<T>& pr, const Operand<T>& dout, const T* out) {
  std::vector<T> D(size_t(pr.batch * pr.n));
#pragma omp parallel for schedule(static)
  for (int64_t bi = 0; bi < pr.batch * pr.n; ++bi) {
    const T* g = dout.row(bi / pr.n, bi % pr.n);
    const T* o = out + bi * pr.dv;
    T s = 0;
    for (int64_t c = 0; c < pr.dv; ++c) s += g[c] * o[c];
    D[size_t(bi)] = s;
  }
  return D;
}

// What every key block of the backward reads: K^T and V^T of all batch entries, D, lse.
template <typename T>
struct BackwardShared {
  const Problem<T>& pr;
  const Operand<T>& dout;
  const T* lse;
  const T* D;
  const TransposedBlocks<T>& kt;
  const TransposedBlocks<T>& vt;
};

// Per-thread tiles of the backward.
template <typename T>
struct BackwardTiles {
  Scratch<T> kp, dk, dv, qp, dop, s, dp;
  explicit BackwardTiles(const Problem<T>& pr)
      : kp(kBK * pr.dp),
        dk(kBK * pr.dp),
        dv(kBK * pr.dvp),
        qp(kBQ * pr.dp),
        dop(kBQ * pr.dvp),
        s(kBQ * kBK),
        dp(kBQ * kBK) {}
};

// One key block of batch b against every query block; dK, dV written to grad_k/grad_v,
// dQ (unscaled) added into dq [n, dp].
template <typename T>
void backward_key_block(const BackwardShared<T>& sh, BackwardTiles<T>& t, int64_t b, int64_t j0,
                        T* dq, T* gk, T* gv) {
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  constexpr int L = kLanes<T>;
  const Problem<T>& pr = sh.pr;
  const int64_t bk = std::min(kBK, pr.m - j0), bkp = round_up(bk, L);
  const T* Kt = sh.kt.block(b, j0);
  const T* Vt = sh.vt.block(b, j0);
  const auto [Kr, ldk] = b_rows(pr.k, b, j0, bk, pr.d, pr.dp, t.kp.get());
  T *dK = t.dk.get(), *dV = t.dv.get(), *S = t.s.get(), *dP = t.dp.get();
  std::fill(dK, dK + bkp * pr.dp, T(0));
  std::fill(dV, dV + bkp * pr.dvp, T(0));
  for (int64_t i0 = 0; i0 < pr.n; i0 += kBQ) {
    const int64_t bq = std::min(kBQ, pr.n - i0);
    const int64_t be = allowed_keys(pr.mask, b, i0, bq, j0, bk), bep = round_up(be, L);
    if (be == 0) continue;  // every key of the tile masked for these rows: no gradient
    const T* Q = pr.q.row(b, i0);
    const T* dO = sh.dout.row(b, i0);
    const T* half = scores(bq, bep, pr.d, Q, pr.q.rs, Kt, S, dP);  // as the forward sums it
    for (int64_t r = 0; r < bq; ++r) {                             // P = exp(scale S - lse)
      T* x = S + r * bep;
      if (half) add_into(x, half + r * bep, bep);
      const T l = sh.lse[b * pr.n + i0 + r];
      if (l == ninf) {
        std::fill(x, x + bep, T(0));
        continue;
      }
      const T sc =
          mask_row(x, be, bep, pr.scale,
                   pr.mask.p ? pr.mask.row(b, i0 + r) + j0 * pr.mask.cs : nullptr, pr.mask.cs);
      const Vec<T> vsc = splat(sc), vl = splat(l);
      for (int64_t j = 0; j < bep; j += L) store(x + j, vexp_nonpositive(load(x + j) * vsc - vl));
    }
    const auto [dOr, ldo] = b_rows(sh.dout, b, i0, bq, pr.dv, pr.dvp, t.dop.get());
    gemm<T>(bep, pr.dvp, bq, S, 1, bep, dOr, ldo, dV, pr.dvp, true);      // dV += P^T dO
    gemm<T>(bq, bep, pr.dv, dO, sh.dout.rs, 1, Vt, kBK, dP, bep, false);  // dP = dO V^T
    for (int64_t r = 0; r < bq; ++r) {                                    // dS = P (dP - D)
      const Vec<T> Di = splat(sh.D[b * pr.n + i0 + r]);
      T* ds = dP + r * bep;
      const T* p = S + r * bep;
      for (int64_t j = 0; j < bep; j += L) store(ds + j, load(p + j) * (load(ds + j) - Di));
    }
    const auto [Qr, ldq] = b_rows(pr.q, b, i0, bq, pr.d, pr.dp, t.qp.get());
    gemm<T>(bep, pr.dp, bq, dP, 1, bep, Qr, ldq, dK, pr.dp, true);              // dK += dS^T Q
    gemm<T>(bq, pr.dp, be, dP, bep, 1, Kr, ldk, dq + i0 * pr.dp, pr.dp, true);  // dQ += dS K
  }
  for (int64_t j = 0; j < bk; ++j) {
    T* k_out = gk + (b * pr.m + j0 + j) * pr.d;
    T* v_out = gv + (b * pr.m + j0 + j) * pr.dv;
    for (int64_t c = 0; c < pr.d; ++c) k_out[c] = dK[j * pr.dp + c] * pr.scale;
    for (int64_t c = 0; c < pr.dv; ++c) v_out[c] = dV[j * pr.dvp + c];
  }
}

template <typename T>
void backward(const Problem<T>& pr, const Operand<T>& dout, const T* out, const T* lse, T* gq,
              T* gk, T* gv) {
  const std::vector<T> D = row_dots(pr, dout, out);
  const int64_t nkb = (pr.m + kBK - 1) / kBK;
  const TransposedBlocks<T> kt(pr.k, pr.batch, pr.m, pr.d), vt(pr.v, pr.batch, pr.m, pr.dv);
  const BackwardShared<T> sh{pr, dout, lse, D.data(), kt, vt};
  const int threads = omp_get_max_threads();
  // Whole batches per thread when they spread evenly; else key blocks, private dQs.
  const bool by_batch = pr.batch % threads == 0 || pr.batch >= 4 * threads;
  const int copies = by_batch ? 1 : threads;
  const int64_t dq_size = pr.batch * pr.n * pr.dp;
  const Tensor dq_buf = zeros({copies * dq_size}, dtype_v<T>);  // recycled by the host block cache
  T* dq = dq_buf.data<T>();
#pragma omp parallel
  {
    BackwardTiles<T> tiles(pr);
    if (by_batch) {
#pragma omp for schedule(static)
      for (int64_t b = 0; b < pr.batch; ++b)
        for (int64_t kb = 0; kb < nkb; ++kb)
          backward_key_block(sh, tiles, b, kb * kBK, dq + b * pr.n * pr.dp, gk, gv);
    } else {
      T* mine = dq + size_t(omp_get_thread_num()) * size_t(dq_size);
#pragma omp for schedule(dynamic, 1)
      for (int64_t item = 0; item < pr.batch * nkb; ++item) {
        const int64_t b = item / nkb;
        backward_key_block(sh, tiles, b, (item % nkb) * kBK, mine + b * pr.n * pr.dp, gk, gv);
      }
    }
  }
#pragma omp parallel for schedule(static)
  for (int64_t bi = 0; bi < pr.batch * pr.n; ++bi)
    for (int64_t c = 0; c < pr.d; ++c) {
      T s = 0;
      for (int t = 0; t < copies; ++t) s += dq[t * dq_size + bi * pr.dp + c];
      gq[bi * pr.d + c] = s * pr.scale;
    }
}

template <typename T>
Problem<T> make_problem(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                        double scale) {
  Problem<T> pr;
  pr.n = q.size(-2);
  pr.m = k.size(-2);
  pr.d = q.size(-1);
  pr.dv = v.size(-1);
  pr.batch = 1;
  for (int i = 0; i < q.dim() - 2; ++i) pr.batch *= q.size(i);
  pr.dp = round_up(std::max<int64_t>(pr.d, 1), kLanes<T>);
  pr.dvp = round_up(std::max<int64_t>(pr.dv, 1), kLanes<T>);
  pr.scale = T(scale);
  pr.q = Operand<T>(q);
  pr.k = Operand<T>(k);
  pr.v = Operand<T>(v);
  if (mask.defined()) pr.mask = Operand<bool>(mask);
  return pr;
}

}  // namespace

void attention_forward(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                       const Tensor& v, const Tensor& mask, double scale) {
  dispatch_float(q.dtype(), "scaled_dot_product_attention", [&]<typename T>() {
    const Problem<T> pr = make_problem<T>(q, k, v, mask, scale);
    if (pr.batch * pr.n == 0) return;
    forward(pr, out.data<T>(), lse.data<T>());
  });
}

void attention_backward(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                        const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& out, const Tensor& lse, const Tensor& mask, double scale) {
  dispatch_float(q.dtype(), "scaled_dot_product_attention_backward", [&]<typename T>() {
    const Problem<T> pr = make_problem<T>(q, k, v, mask, scale);
    if (pr.batch * pr.n * pr.m == 0) {  // no scores: every gradient is zero
      for (const Tensor* g : {&grad_q, &grad_k, &grad_v})
        std::fill_n(g->data<T>(), g->numel(), T(0));
      return;
    }
    backward(pr, Operand<T>(grad_out), out.data<T>(), lse.data<T>(), grad_q.data<T>(),
             grad_k.data<T>(), grad_v.data<T>());
  });
}

}  // namespace sp::cpu
