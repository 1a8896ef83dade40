#include "tensor/ops/creation.h"

#include <cmath>
#include <cstring>

#include "tensor/dispatch.h"
#include "tensor/ops/copy.h"

namespace sp {

Tensor empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) SP_CHECK(d >= 0, "empty: expected non-negative sizes, got ", shape);
  return Tensor(allocate_storage(size_t(numel(shape)) * size_of(dtype), device), 0, shape,
                contiguous_strides(shape), dtype);
}

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}
Tensor ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}
Tensor empty_like(const Tensor& t) {
  return empty(t.shape(), t.dtype(), t.device());
}
Tensor zeros_like(const Tensor& t) {
  return zeros(t.shape(), t.dtype(), t.device());
}
Tensor ones_like(const Tensor& t) {
  return ones(t.shape(), t.dtype(), t.device());
}
Tensor full_like(const Tensor& t, double value) {
  return full(t.shape(), value, t.dtype(), t.device());
}
Tensor scalar_tensor(double value, DType dtype, Device device) {
  return full(Shape{}, value, dtype, device);
}

namespace {
// Fills a host tensor with f(i) for i in [0, n), then moves it to `device`.
template <typename F>
Tensor host_sequence(int64_t n, DType dtype, Device device, F f) {
  Tensor t = empty({n}, dtype, kCPU);
  dispatch_numeric(dtype, "arange", [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = convert<T>(f(i));
  });
  return t.to(device);
}
}  // namespace

Tensor arange(double start, double end, double step, DType dtype, Device device) {
  SP_CHECK(step != 0, "arange: expected a non-zero step, got 0");
  SP_CHECK((end - start) / step >= 0, "arange: expected the step ", step, " to go from ", start,
           " towards ", end);
  int64_t n = int64_t(std::ceil((end - start) / step));
  return host_sequence(n, dtype, device, [&](int64_t i) { return start + double(i) * step; });
}

Tensor arange(int64_t end, DType dtype, Device device) {
  return arange(0.0, double(end), 1.0, dtype, device);
}

Tensor linspace(double start, double end, int64_t steps, DType dtype, Device device) {
  SP_CHECK(steps >= 0, "linspace: expected a non-negative number of steps, got ", steps);
  const double step = steps > 1 ? (end - start) / double(steps - 1) : 0.0;
  // PyTorch computes the second half from the end, so the last value is exactly `end`.
  const int64_t half = steps / 2;
  return host_sequence(steps, dtype, device, [&](int64_t i) {
    return i < half ? start + step * double(i) : end - step * double(steps - 1 - i);
  });
}

Tensor eye(int64_t n, int64_t m, DType dtype, Device device) {
  if (m < 0) m = n;
  SP_CHECK(n >= 0, "eye: expected a non-negative size, got ", n);
  Tensor t = zeros({n, m}, dtype, kCPU);
  dispatch_all(dtype, "eye", [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = convert<T>(1.0);
  });
  return t.to(device);
}

Tensor from_data(const void* data, const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, kCPU);
  if (t.nbytes()) std::memcpy(t.data_ptr(), data, t.nbytes());
  return t.to(device);
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  SP_CHECK(int64_t(values.size()) == numel(shape), "from_vector: expected ", numel(shape),
           " values for shape ", shape, ", got ", values.size());
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> bytes(values.begin(), values.end());
    return from_data(bytes.data(), shape, DType::Bool, device);
  } else {
    return from_data(values.data(), shape, dtype_v<T>, device);
  }
}

template Tensor from_vector(const std::vector<float>&, const Shape&, Device);
template Tensor from_vector(const std::vector<double>&, const Shape&, Device);
template Tensor from_vector(const std::vector<int32_t>&, const Shape&, Device);
template Tensor from_vector(const std::vector<int64_t>&, const Shape&, Device);
template Tensor from_vector(const std::vector<uint8_t>&, const Shape&, Device);
template Tensor from_vector(const std::vector<bool>&, const Shape&, Device);
template Tensor from_vector(const std::vector<Half>&, const Shape&, Device);
template Tensor from_vector(const std::vector<BFloat16>&, const Shape&, Device);

}  // namespace sp
