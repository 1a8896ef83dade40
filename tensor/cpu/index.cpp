// CPU reference kernels for indexing and ordering. Kernels walk the logical index space
// with explicit coordinates, so any strides (views) work without copies.
#include "tensor/ops/index.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "tensor/dispatch.h"
#include "tensor/ops/creation.h"

namespace sp::cpu {

namespace {

// Row-major coordinates of linear index k over shape.
void coords_of(int64_t k, const Shape& shape, int64_t* c) {
  for (int d = shape.rank() - 1; d >= 0; --d) {
    c[d] = k % shape[d];
    k /= shape[d];
  }
}

int64_t offset_of(const int64_t* c, const Strides& st, int skip = -1, int64_t replace = 0) {
  int64_t off = 0;
  for (int d = 0; d < st.rank(); ++d) off += (d == skip ? replace : c[d]) * st[d];
  return off;
}

std::string coords_str(const int64_t* c, int rank) {
  std::string s = "[";
  for (int d = 0; d < rank; ++d) s += (d ? ", " : "") + std::to_string(c[d]);
  return s + "]";
}

// Reads index element at `off` as int64 and checks it against [0, size).
template <typename I>
int64_t checked_index(const I* p, int64_t off, int64_t size, const char* what,
                      const std::string& position) {
  const int64_t v = int64_t(p[off]);
  SP_CHECK(v >= 0 && v < size, what, ": expected indices in [0, ", size, "), got ", v,
           " at position ", position);
  return v;
}

// Sort key: f16/bf16 compare as float, everything else as itself.
template <typename T>
auto key(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>)
    return float(v);
  else
    return v;
}
template <typename K>
bool is_nan(K v) {
  if constexpr (std::is_floating_point_v<K>)
    return std::isnan(v);
  else
    return false;
}
// Strict order with NaN as the largest value (PyTorch's sort order).
template <typename K>
bool less_nan_last(K a, K b) {
  return !is_nan(a) && (is_nan(b) || a < b);
}

}  // namespace

void index_select(const Tensor& out, const Tensor& t, int dim, const Tensor& indices) {
  const int64_t n = indices.numel(), size = t.shape()[dim];
  std::vector<int64_t> idx(n);
  dispatch_index(indices.dtype(), "index_select", [&]<typename I>() {
    const I* p = static_cast<const I*>(indices.data_ptr());
    const int64_t st = indices.dim() ? indices.strides()[0] : 0;
    for (int64_t i = 0; i < n; ++i)
      idx[i] = checked_index(p, i * st, size, "index_select", std::to_string(i));
  });
  const Shape& os = out.shape();
  const int64_t total = out.numel();
  dispatch_all(t.dtype(), "index_select", [&]<typename T>() {
    const T* src = static_cast<const T*>(t.data_ptr());
    T* dst = static_cast<T*>(out.data_ptr());  // contiguous
#pragma omp parallel for schedule(static) if (total >= 65536)
    for (int64_t k = 0; k < total; ++k) {
      int64_t c[kMaxRank];
      coords_of(k, os, c);
      dst[k] = src[offset_of(c, t.strides(), dim, idx[c[dim]])];
    }
  });
}

void gather(const Tensor& out, const Tensor& t, int dim, const Tensor& index) {
  const Shape& is = index.shape();
  const int64_t total = index.numel(), size = t.shape()[dim];
  dispatch_index(index.dtype(), "gather", [&]<typename I>() {
    dispatch_all(t.dtype(), "gather", [&]<typename T>() {
      const I* ip = static_cast<const I*>(index.data_ptr());
      const T* src = static_cast<const T*>(t.data_ptr());
      T* dst = static_cast<T*>(out.data_ptr());  // contiguous, shape of index
      for (int64_t k = 0; k < total; ++k) {
        int64_t c[kMaxRank];
        coords_of(k, is, c);
        const int64_t v = ip[offset_of(c, index.strides())];
        SP_CHECK(v >= 0 && v < size, "gather: expected indices in [0, ", size, "), got ", v,
                 " at position ", coords_str(c, is.rank()));
        dst[k] = src[offset_of(c, t.strides(), dim, v)];
      }
    });
  });
}

void scatter_add(const Tensor& t, int dim, const Tensor& index, const Tensor& src) {
  const Shape& is = index.shape();
  const int64_t total = index.numel(), size = t.shape()[dim];
  dispatch_index(index.dtype(), "scatter_add", [&]<typename I>() {
    dispatch_numeric(t.dtype(), "scatter_add", [&]<typename T>() {
      const I* ip = static_cast<const I*>(index.data_ptr());
      const T* sp_ = static_cast<const T*>(src.data_ptr());
      T* dst = static_cast<T*>(t.data_ptr());
      for (int64_t k = 0; k < total; ++k) {  // serial: several k may hit one element
        int64_t c[kMaxRank];
        coords_of(k, is, c);
        const int64_t v = ip[offset_of(c, index.strides())];
        SP_CHECK(v >= 0 && v < size, "scatter_add: expected indices in [0, ", size, "), got ", v,
                 " at position ", coords_str(c, is.rank()));
        T& d = dst[offset_of(c, t.strides(), dim, v)];
        d = convert<T>(convert<double>(d) + convert<double>(sp_[offset_of(c, src.strides())]));
      }
    });
  });
}

void index_add(const Tensor& t, int dim, const Tensor& indices, const Tensor& src, double alpha) {
  const int64_t n = indices.numel(), size = t.shape()[dim];
  std::vector<int64_t> idx(n);
  dispatch_index(indices.dtype(), "index_add", [&]<typename I>() {
    const I* p = static_cast<const I*>(indices.data_ptr());
    const int64_t st = indices.dim() ? indices.strides()[0] : 0;
    for (int64_t i = 0; i < n; ++i)
      idx[i] = checked_index(p, i * st, size, "index_add", std::to_string(i));
  });
  const Shape& ss = src.shape();
  dispatch_numeric(t.dtype(), "index_add", [&]<typename T>() {
    const T* s = static_cast<const T*>(src.data_ptr());
    T* dst = static_cast<T*>(t.data_ptr());
    for (int64_t k = 0; k < src.numel(); ++k) {
      int64_t c[kMaxRank];
      coords_of(k, ss, c);
      T& d = dst[offset_of(c, t.strides(), dim, idx[c[dim]])];
      d = convert<T>(convert<double>(d) + alpha * convert<double>(s[offset_of(c, src.strides())]));
    }
  });
}

Tensor masked_select(const Tensor& t, const Tensor& mask) {
  const Shape& s = t.shape();
  std::vector<int64_t> picked;
  const bool* m = static_cast<const bool*>(mask.data_ptr());
  for (int64_t k = 0; k < t.numel(); ++k) {
    int64_t c[kMaxRank];
    coords_of(k, s, c);
    if (m[offset_of(c, mask.strides())]) picked.push_back(offset_of(c, t.strides()));
  }
  Tensor out = empty({int64_t(picked.size())}, t.dtype());
  dispatch_all(t.dtype(), "masked_select", [&]<typename T>() {
    const T* src = static_cast<const T*>(t.data_ptr());
    T* dst = out.data<T>();
    for (size_t i = 0; i < picked.size(); ++i) dst[i] = src[picked[i]];
  });
  return out;
}

Tensor nonzero(const Tensor& t) {
  const Shape& s = t.shape();
  const int rank = t.dim();
  std::vector<int64_t> coords;
  dispatch_all(t.dtype(), "nonzero", [&]<typename T>() {
    const T* src = static_cast<const T*>(t.data_ptr());
    for (int64_t k = 0; k < t.numel(); ++k) {
      int64_t c[kMaxRank];
      coords_of(k, s, c);
      if (convert<bool>(src[offset_of(c, t.strides())])) coords.insert(coords.end(), c, c + rank);
    }
  });
  const int64_t n = rank ? int64_t(coords.size()) / rank : (t.numel() && t.item<bool>() ? 1 : 0);
  Tensor out = empty({n, int64_t(rank)}, DType::I64);
  std::copy(coords.begin(), coords.end(), out.data<int64_t>());
  return out;
}

void sort(const Tensor& values, const Tensor& indices, const Tensor& t, int dim, bool descending,
          int64_t k) {
  // t contiguous, viewed as [outer, n, inner]; values/indices contiguous [outer, k, inner].
  const int64_t n = t.dim() ? t.shape()[dim] : 1;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < dim; ++d) outer *= t.shape()[d];
  for (int d = dim + 1; d < t.dim(); ++d) inner *= t.shape()[d];
  dispatch_all(t.dtype(), "sort", [&]<typename T>() {
    const T* src = static_cast<const T*>(t.data_ptr());
    T* vout = static_cast<T*>(values.data_ptr());
    int64_t* iout = indices.data<int64_t>();
#pragma omp parallel for schedule(static) if (outer * inner * n >= 65536)
    for (int64_t line = 0; line < outer * inner; ++line) {
      const int64_t o = line / inner, i = line % inner;
      const T* base = src + o * n * inner + i;
      std::vector<int64_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      auto cmp = [&](int64_t a, int64_t b) {
        return descending ? less_nan_last(key(base[b * inner]), key(base[a * inner]))
                          : less_nan_last(key(base[a * inner]), key(base[b * inner]));
      };
      std::stable_sort(order.begin(), order.end(), cmp);
      for (int64_t j = 0; j < k; ++j) {
        vout[(o * k + j) * inner + i] = base[order[j] * inner];
        iout[(o * k + j) * inner + i] = order[j];
      }
    }
  });
}

void one_hot(const Tensor& out, const Tensor& indices, int64_t num_classes) {
  const Shape& s = indices.shape();
  int64_t* dst = out.data<int64_t>();  // zero-filled, contiguous [*, num_classes]
  dispatch_index(indices.dtype(), "one_hot", [&]<typename I>() {
    const I* p = static_cast<const I*>(indices.data_ptr());
    for (int64_t k = 0; k < indices.numel(); ++k) {
      int64_t c[kMaxRank];
      coords_of(k, s, c);
      const int64_t v = checked_index(p, offset_of(c, indices.strides()), num_classes, "one_hot",
                                      coords_str(c, s.rank()));
      dst[k * num_classes + v] = 1;
    }
  });
}

}  // namespace sp::cpu
