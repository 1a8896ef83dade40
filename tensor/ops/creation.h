// Tensor creation: empty, zeros, ones, full, arange, linspace, eye, from host data.
// Random creation (rand, randn, ...) is in tensor/ops/random.h.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace sp {

Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = kCPU);
Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = kCPU);
Tensor ones(const Shape& shape, DType dtype = DType::F32, Device device = kCPU);
Tensor full(const Shape& shape, double value, DType dtype = DType::F32, Device device = kCPU);
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// A 0-dim tensor holding value.
Tensor scalar_tensor(double value, DType dtype = DType::F32, Device device = kCPU);

// [start, end) with step (PyTorch's arange): i64 by default.
Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::I64,
              Device device = kCPU);
Tensor arange(int64_t end, DType dtype = DType::I64, Device device = kCPU);
Tensor linspace(double start, double end, int64_t steps, DType dtype = DType::F32,
                Device device = kCPU);
Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::F32, Device device = kCPU);

// Copies host values into a new tensor of `shape` (numel must match).
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = kCPU);
template <typename T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{int64_t(values.size())});
}
Tensor from_data(const void* data, const Shape& shape, DType dtype, Device device = kCPU);

}  // namespace sp
