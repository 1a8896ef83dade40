// Random numbers from a counter-based Philox4x32-10 stream (tensor/math/philox.h holds
// the math and the exact stream layout). Element i of a draw is a pure function of
// (seed, offset, i), so CPU and CUDA produce the same numbers for the same generator
// state, and a run is reproducible from (seed, offset) alone.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace sp {

// The state of one stream. Each draw of n elements starts at `offset` and advances it
// by ceil(n / 4) blocks (randn, rand, randint, bernoulli, randperm, normal_, uniform_
// alike). Not thread-safe: give each thread its own Generator.
struct Generator {
  uint64_t seed = 0;
  uint64_t offset = 0;  // in Philox blocks of 4 words

  Generator() = default;
  explicit Generator(uint64_t seed_, uint64_t offset_ = 0) : seed(seed_), offset(offset_) {}
  // Reserves the blocks for `n` elements; returns the offset at which the draw starts.
  uint64_t advance(int64_t n) {
    const uint64_t start = offset;
    offset += (uint64_t(n) + 3) / 4;
    return start;
  }
};

// The process-wide generator used when none is passed (seed 0 until manual_seed).
Generator& default_generator();
void manual_seed(uint64_t seed);  // default_generator() = Generator(seed, 0)

// Uniform in [0, 1) (24 random bits), floating dtypes.
Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::F32, Device device = kCPU);
Tensor rand(const Shape& shape, DType dtype = DType::F32, Device device = kCPU);
// Standard normal (Box-Muller), floating dtypes.
Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::F32, Device device = kCPU);
Tensor randn(const Shape& shape, DType dtype = DType::F32, Device device = kCPU);
// Integers in [low, high), high - low <= 2^32 (word % range: bias below 2^-32 * range).
Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen,
               DType dtype = DType::I64, Device device = kCPU);
// 1 where u < p, else 0: same shape, dtype and device as p (p in [0, 1]).
Tensor bernoulli(const Tensor& p, Generator& gen);
Tensor bernoulli(double p, const Shape& shape, Generator& gen, DType dtype = DType::F32,
                 Device device = kCPU);
// A random permutation of [0, n) (Fisher-Yates with word k choosing for position n-1-k).
Tensor randperm(int64_t n, Generator& gen, DType dtype = DType::I64, Device device = kCPU);
// In place; element i is the i-th element in row-major (logical) order, any strides.
Tensor& normal_(Tensor& t, double mean, double std, Generator& gen);
Tensor& uniform_(Tensor& t, double low, double high, Generator& gen);

namespace cpu {
// Contiguous floating `out`: out[i] = low + (high - low) * u_i / mean + std * z_i.
void fill_uniform(const Tensor& out, uint64_t seed, uint64_t offset, double low, double high);
void fill_normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean, double std);
// Contiguous out and p of one shape (p broadcast when it has one element).
void bernoulli(const Tensor& out, const Tensor& p, uint64_t seed, uint64_t offset);
void fill_randint(const Tensor& out, uint64_t seed, uint64_t offset, int64_t low, uint64_t range);
void randperm(const Tensor& out, uint64_t seed, uint64_t offset);
}  // namespace cpu

namespace cuda {
void fill_uniform(const Tensor& out, uint64_t seed, uint64_t offset, double low, double high);
void fill_normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean, double std);
void bernoulli(const Tensor& out, const Tensor& p, uint64_t seed, uint64_t offset);
}  // namespace cuda

}  // namespace sp
