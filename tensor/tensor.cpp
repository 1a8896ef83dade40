#include "tensor/tensor.h"

#include <algorithm>
#include <cstring>

#include "tensor/cuda/context.h"
#include "tensor/ops/copy.h"

namespace sp {

Tensor::Tensor(std::shared_ptr<Storage> storage, int64_t offset, Shape shape, Strides strides,
               DType dtype)
    : storage_(std::move(storage)),
      offset_(offset),
      shape_(shape),
      strides_(strides),
      dtype_(dtype) {
  SP_ASSERT(shape_.rank() == strides_.rank(), "shape ", shape_, " vs strides ", strides_);
}

Device Tensor::device() const {
  SP_CHECK(defined(), "tensor: expected a defined tensor, got an undefined one");
  return storage_->device();
}

int64_t Tensor::size(int64_t dim) const {
  return shape_[wrap_dim(dim, this->dim(), "size")];
}
int64_t Tensor::stride(int64_t dim) const {
  return strides_[wrap_dim(dim, this->dim(), "stride")];
}

void* Tensor::data_ptr() const {
  SP_CHECK(defined(), "tensor: expected a defined tensor, got an undefined one");
  return static_cast<char*>(storage_->data()) + offset_ * int64_t(size_of(dtype_));
}

std::string Tensor::meta() const {
  if (!defined()) return "undefined";
  return std::string(name(dtype_)) + shape_.str() + " " + device().str();
}

// ---- views -------------------------------------------------------------------------

namespace {
Shape infer_shape(const Shape& requested, int64_t total, const char* what, const Shape& from) {
  Shape out = requested;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < out.rank(); ++i) {
    if (out[i] == -1) {
      SP_CHECK(infer < 0, what, ": expected at most one -1 in shape ", requested);
      infer = i;
    } else {
      SP_CHECK(out[i] >= 0, what, ": expected non-negative sizes, got ", requested);
      known *= out[i];
    }
  }
  if (infer >= 0) {
    SP_CHECK(known != 0 && total % known == 0, what, ": cannot infer -1 in ", requested, " for ",
             total, " elements of ", from);
    out[infer] = total / known;
  }
  SP_CHECK(numel(out) == total, what, ": expected a shape with ", total, " elements (from ", from,
           "), got ", requested);
  return out;
}

// Strides for viewing (shape, strides) as `target` without a copy, if possible
// (PyTorch's computeStride): each run of merged dims must be contiguous in itself.
bool view_strides(const Shape& shape, const Strides& strides, const Shape& target, Strides& out) {
  out = Dims::filled(target.rank(), 1);
  if (numel(shape) == 0 || shape.rank() == 0) {  // nothing to keep, or one element
    out = contiguous_strides(target);
    return true;
  }
  int view_d = target.rank() - 1;
  int64_t chunk_base_stride = strides.rank() ? strides.back() : 1;
  int64_t tensor_numel = 1, view_numel = 1;
  for (int d = shape.rank() - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || target[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= target[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}
}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  Shape target = infer_shape(shape, numel(), "view", shape_);
  Strides st;
  SP_CHECK(view_strides(shape_, strides_, target, st),
           "view: expected a tensor whose strides allow viewing ", shape_, " as ", target,
           ", got strides ", strides_, "; hint: use reshape() or contiguous()");
  return Tensor(storage_, offset_, target, st, dtype_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape target = infer_shape(shape, numel(), "reshape", shape_);
  Strides st;
  if (view_strides(shape_, strides_, target, st))
    return Tensor(storage_, offset_, target, st, dtype_);
  return contiguous().view(target);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  SP_CHECK(int(dims.size()) == dim(), "permute: expected ", dim(), " dims for a tensor of shape ",
           shape_, ", got ", dims.size());
  Shape s;
  Strides st;
  std::vector<bool> seen(dim(), false);
  for (int64_t d : dims) {
    int w = wrap_dim(d, dim(), "permute");
    SP_CHECK(!seen[w], "permute: expected each dim once, got dim ", d, " twice");
    seen[w] = true;
    s.push_back(shape_[w]);
    st.push_back(strides_[w]);
  }
  return Tensor(storage_, offset_, s, st, dtype_);
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  int a = wrap_dim(d0, dim(), "transpose"), b = wrap_dim(d1, dim(), "transpose");
  Shape s = shape_;
  Strides st = strides_;
  std::swap(s[a], s[b]);
  std::swap(st[a], st[b]);
  return Tensor(storage_, offset_, s, st, dtype_);
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  int d = wrap_dim(dim, this->dim(), "narrow");
  if (start < 0) start += shape_[d];
  SP_CHECK(start >= 0 && length >= 0 && start + length <= shape_[d], "narrow: expected start ",
           start, " and length ", length, " within size ", shape_[d], " of dim ", d, " of ",
           shape_);
  Shape s = shape_;
  s[d] = length;
  return Tensor(storage_, offset_ + start * strides_[d], s, strides_, dtype_);
}

Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  int d = wrap_dim(dim, this->dim(), "slice");
  SP_CHECK(step > 0, "slice: expected a positive step, got ", step);
  int64_t n = shape_[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape s = shape_;
  Strides st = strides_;
  s[d] = (end - start + step - 1) / step;
  st[d] = strides_[d] * step;
  return Tensor(storage_, offset_ + start * strides_[d], s, st, dtype_);
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  int d = wrap_dim(dim, this->dim(), "select");
  int64_t n = shape_[d];
  SP_CHECK(index >= -n && index < n, "select: expected index in [", -n, ", ", n - 1, "] for dim ",
           d, " of ", shape_, ", got ", index);
  if (index < 0) index += n;
  Shape s = shape_;
  Strides st = strides_;
  s.erase(d);
  st.erase(d);
  return Tensor(storage_, offset_ + index * strides_[d], s, st, dtype_);
}

Tensor Tensor::expand(const Shape& shape) const {
  SP_CHECK(shape.rank() >= dim(), "expand: expected at least ", dim(), " dims, got ", shape);
  Shape target = shape;
  int off = shape.rank() - dim();
  for (int i = 0; i < shape.rank(); ++i) {
    if (target[i] == -1) {
      SP_CHECK(i >= off, "expand: -1 is not allowed for a new leading dim in ", shape);
      target[i] = shape_[i - off];
    }
  }
  for (int i = 0; i < dim(); ++i)
    SP_CHECK(shape_[i] == target[i + off] || shape_[i] == 1, "expand: expected size ", shape_[i],
             " or 1 at dim ", i, " of ", shape_, ", got target ", shape);
  return Tensor(storage_, offset_, target, broadcast_strides(shape_, strides_, target), dtype_);
}

Tensor Tensor::squeeze() const {
  Shape s;
  Strides st;
  for (int i = 0; i < dim(); ++i)
    if (shape_[i] != 1) {
      s.push_back(shape_[i]);
      st.push_back(strides_[i]);
    }
  return Tensor(storage_, offset_, s, st, dtype_);
}

Tensor Tensor::squeeze(int64_t dim) const {
  int d = wrap_dim(dim, this->dim(), "squeeze");
  if (this->dim() == 0 || shape_[d] != 1) return *this;
  Shape s = shape_;
  Strides st = strides_;
  s.erase(d);
  st.erase(d);
  return Tensor(storage_, offset_, s, st, dtype_);
}

Tensor Tensor::unsqueeze(int64_t dim) const {
  int d = wrap_dim(dim, this->dim() + 1, "unsqueeze");
  Shape s = shape_;
  Strides st = strides_;
  int64_t stride = d < this->dim() ? strides_[d] * shape_[d] : 1;
  s.insert(d, 1);
  st.insert(d, stride);
  return Tensor(storage_, offset_, s, st, dtype_);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  int a = wrap_dim(start_dim, dim(), "flatten"), b = wrap_dim(end_dim, dim(), "flatten");
  SP_CHECK(a <= b, "flatten: expected start_dim <= end_dim, got ", start_dim, " and ", end_dim);
  Shape s;
  for (int i = 0; i < a; ++i) s.push_back(shape_[i]);
  int64_t m = 1;
  for (int i = a; i <= b; ++i) m *= shape_[i];
  s.push_back(m);
  for (int i = b + 1; i < dim(); ++i) s.push_back(shape_[i]);
  return reshape(s);
}

Tensor Tensor::as_strided(const Shape& shape, const Strides& strides, int64_t offset) const {
  SP_CHECK(shape.rank() == strides.rank(), "as_strided: expected as many strides as dims, got ",
           shape, " and ", strides);
  return Tensor(storage_, offset, shape, strides, dtype_);
}

// ---- copies ------------------------------------------------------------------------

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out(allocate_storage(nbytes(), device()), 0, shape_, contiguous_strides(shape_), dtype_);
  copy_into(out, *this);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out(allocate_storage(size_t(numel()) * size_of(dtype), device()), 0, shape_,
             contiguous_strides(shape_), dtype);
  copy_into(out, *this);
  return out;
}

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor out(allocate_storage(nbytes(), device), 0, shape_, contiguous_strides(shape_), dtype_);
  copy_into(out, *this);
  return out;
}

Tensor& Tensor::copy_(const Tensor& src) {
  copy_into(*this, src);
  return *this;
}

Tensor& Tensor::fill_(double value) {
  fill_into(*this, value);
  return *this;
}

template <typename T>
T Tensor::item() const {
  SP_CHECK(numel() == 1, "item: expected a tensor with one element, got ", meta());
  Tensor host = to(dtype_v<T>).cpu();
  return *static_cast<const T*>(host.data_ptr());
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = cpu().to(dtype_v<T>).contiguous();
  const T* p = static_cast<const T*>(host.data_ptr());
  return std::vector<T>(p, p + host.numel());
}

#define SP_INSTANTIATE(T)             \
  template T Tensor::item<T>() const; \
  template std::vector<T> Tensor::to_vector<T>() const;
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
SP_INSTANTIATE(int32_t)
SP_INSTANTIATE(int64_t)
SP_INSTANTIATE(uint8_t)
SP_INSTANTIATE(Half)
SP_INSTANTIATE(BFloat16)
#undef SP_INSTANTIATE

template <>
bool Tensor::item<bool>() const {
  return item<uint8_t>() != 0;
}
template <>
std::vector<bool> Tensor::to_vector<bool>() const {
  std::vector<uint8_t> v = to_vector<uint8_t>();
  return std::vector<bool>(v.begin(), v.end());
}

// ---- argument checks ---------------------------------------------------------------

void check_defined(const Tensor& t, const char* what) {
  SP_CHECK(t.defined(), what, ": expected a defined tensor, got an undefined one");
}

void check_same_device(const Tensor& a, const Tensor& b, const char* what) {
  SP_CHECK(a.device() == b.device(), what, ": expected tensors on the same device, got ",
           a.device(), " and ", b.device(), "; hint: move one with .to(device)");
}

void check_rank(const Tensor& t, int rank, const char* what, const char* arg) {
  SP_CHECK(t.dim() == rank, what, ": expected ", arg, " of rank ", rank, ", got shape ", t.shape());
}

void check_dtype(const Tensor& t, DType dtype, const char* what, const char* arg) {
  SP_CHECK(t.dtype() == dtype, what, ": expected ", arg, " of dtype ", dtype, ", got ", t.dtype());
}

void check_floating(const Tensor& t, const char* what, const char* arg) {
  SP_CHECK(is_floating(t.dtype()), what, ": expected ", arg, " of a floating dtype, got ",
           t.dtype());
}

}  // namespace sp
