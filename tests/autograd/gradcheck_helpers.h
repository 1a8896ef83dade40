// Shared by the gradcheck tests: deterministic f64 inputs, the gradcheck assertion, and
// AG_TEST, which registers one body twice: on the CPU (suite) and on CUDA (suite + "Gpu",
// skipped without a GPU).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "autograd/gradcheck.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::ag::test {

// Values uniform in [lo, hi), from a small LCG (independent of the tensor RNG).
inline Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed,
                      Device device = kCPU) {
  return sp::test::lcg_uniform(shape, seed, lo, hi, 12345).to(device);
}

// Values with |x| in [lo, hi) and random sign: away from kinks at 0.
inline Tensor away_from_zero(const Shape& shape, double lo, double hi, uint64_t seed,
                             Device device = kCPU) {
  std::vector<double> mag = uniform(shape, lo, hi, seed).to_vector<double>();
  std::vector<double> sgn = uniform(shape, -1, 1, seed + 777).to_vector<double>();
  for (size_t i = 0; i < mag.size(); ++i) mag[i] = sgn[i] < 0 ? -mag[i] : mag[i];
  return from_vector(mag, shape).to(device);
}

// A non-contiguous tensor holding the same logical values as `t` (transposed storage).
inline Tensor non_contiguous(const Tensor& t) {
  if (t.dim() < 2) {
    Tensor wide = zeros({t.numel(), 2}, t.dtype(), t.device());
    wide.select(1, 0).copy_(t.reshape({t.numel()}));
    return wide.select(1, 0).reshape(
        t.shape());  // stride 2 (reshape of a strided 1-d view stays a view)
  }
  return t.transpose(0, 1).contiguous().transpose(0, 1);
}

}  // namespace sp::ag::test

#define EXPECT_GRADCHECK(fn, ...)                                               \
  do {                                                                          \
    ::sp::ag::GradcheckResult gc_result = ::sp::ag::gradcheck(fn, __VA_ARGS__); \
    EXPECT_TRUE(gc_result.ok) << gc_result.message;                             \
    EXPECT_GT(gc_result.elements_checked, 0);                                   \
  } while (0)

#define AG_TEST(Suite, Name)                              \
  static void Suite##_##Name##_body(::sp::Device device); \
  TEST(Suite, Name) {                                     \
    Suite##_##Name##_body(::sp::kCPU);                    \
  }                                                       \
  TEST(Suite##Gpu, Name) {                                \
    SP_SKIP_WITHOUT_GPU();                                \
    Suite##_##Name##_body(::sp::cuda_device(0));          \
  }                                                       \
  static void Suite##_##Name##_body([[maybe_unused]] ::sp::Device device)
