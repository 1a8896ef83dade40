// Tensor: a handle on (storage, offset, shape, strides, dtype). Copying a Tensor copies
// the handle, never the data; views share storage. Tensor knows nothing of autograd.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tensor/check.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace sp {

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (defined() == false)
  Tensor(std::shared_ptr<Storage> storage, int64_t offset, Shape shape, Strides strides,
         DType dtype);

  // ---- properties
  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int64_t size(int64_t dim) const;
  int dim() const { return shape_.rank(); }
  int64_t numel() const { return sp::numel(shape_); }
  const Strides& strides() const { return strides_; }
  int64_t stride(int64_t dim) const;
  int64_t offset() const { return offset_; }  // in elements
  DType dtype() const { return dtype_; }
  Device device() const;
  bool is_cuda() const { return device().is_cuda(); }
  bool is_cpu() const { return device().is_cpu(); }
  bool is_contiguous() const { return sp::is_contiguous(shape_, strides_); }
  size_t nbytes() const { return size_t(numel()) * size_of(dtype_); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool shares_storage(const Tensor& other) const { return storage_ == other.storage_; }

  // Pointer to the first element (storage + offset).
  void* data_ptr() const;
  // Typed pointer; throws if T does not match dtype().
  template <typename T>
  T* data() const {
    SP_CHECK(dtype_v<T> == dtype_, "tensor: expected dtype ", dtype_v<T>, " for data<T>(), got ",
             dtype_);
    return static_cast<T*>(data_ptr());
  }
  // The single value of a one-element tensor, converted to T. Synchronizes on CUDA.
  template <typename T>
  T item() const;

  // ---- views (share storage)
  Tensor view(const Shape& shape) const;     // needs compatible strides; -1 infers one dim
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a copy
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end,
               int64_t step = 1) const;  // python-like clamping
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor expand(const Shape& shape) const;  // -1 keeps a dim
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor as_strided(const Shape& shape, const Strides& strides, int64_t offset) const;

  // ---- copies
  Tensor contiguous() const;       // itself when already contiguous
  Tensor clone() const;            // always a fresh contiguous copy
  Tensor to(DType dtype) const;    // itself when dtype matches
  Tensor to(Device device) const;  // itself when on device; explicit transfer otherwise
  Tensor to(Device device, DType dtype) const { return to(dtype).to(device); }
  Tensor cpu() const { return to(kCPU); }
  Tensor cuda(int index = 0) const { return to(cuda_device(index)); }
  // Copies `src` into this tensor (broadcasting src, converting dtype, across devices).
  Tensor& copy_(const Tensor& src);
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }

  // Host copy of the elements in logical (row-major) order.
  template <typename T>
  std::vector<T> to_vector() const;

  std::string str() const;   // PyTorch-like printing (summarised when large)
  std::string meta() const;  // "f32[8, 1, 240, 320] cpu"

 private:
  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;
  Shape shape_;
  Strides strides_;
  DType dtype_ = DType::F32;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Argument checks shared by the ops (messages per DESIGN.md).
void check_defined(const Tensor& t, const char* what);
void check_same_device(const Tensor& a, const Tensor& b, const char* what);
void check_rank(const Tensor& t, int rank, const char* what, const char* arg);
void check_dtype(const Tensor& t, DType dtype, const char* what, const char* arg);
void check_floating(const Tensor& t, const char* what, const char* arg);

}  // namespace sp
