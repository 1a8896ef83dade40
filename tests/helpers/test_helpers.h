// Shared test helpers: fixtures written by tests/reference/*.py, tensor comparison,
// and skipping GPU tests where no GPU exists.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tensor/cuda/context.h"
#include "tensor/tensor.h"

namespace sp::test {

// Path of a committed fixture: tests/reference/fixtures/<name>.
std::string fixture_path(const std::string& name);
// Every dataset of a fixture file, on the CPU.
std::map<std::string, Tensor> load_fixture(const std::string& name);
// A fresh temporary folder under the build tree, removed by nobody (ctest -j safe).
std::string temp_dir(const std::string& tag);

// Deterministic uniform values in [lo, hi) as an f64 CPU tensor, from a 64-bit LCG started
// at seed * golden ratio + stream (stream: a per-file constant, so files draw different
// values for the same seed). No dependence on sp's own RNG, which some tests check.
Tensor lcg_uniform(const Shape& shape, uint64_t seed, double lo, double hi, uint64_t stream);

// Elementwise |a - b| <= atol + rtol * |b| with equal shapes (NaNs equal NaNs); on
// failure reports the worst element, its index and both values.
::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected,
                                     double rtol = 1e-5, double atol = 1e-6);
// Exact equality of shape, dtype and values.
::testing::AssertionResult equal(const Tensor& actual, const Tensor& expected);

// Runs `statement` and checks that it throws sp::Error whose message contains `needle`.
#define EXPECT_SP_ERROR(statement, needle)                                                         \
  do {                                                                                             \
    try {                                                                                          \
      statement;                                                                                   \
      ADD_FAILURE() << "expected sp::Error containing \"" << (needle) << "\", got no error";       \
    } catch (const ::sp::Error& e) {                                                               \
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what(); \
    }                                                                                              \
  } while (0)

// In GPU tests: skips (GTEST_SKIP) when no GPU is usable.
#define SP_SKIP_WITHOUT_GPU() \
  if (!::sp::cuda::available()) GTEST_SKIP() << "no usable GPU on this machine"

}  // namespace sp::test
