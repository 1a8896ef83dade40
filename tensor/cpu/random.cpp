// CPU kernels for the Philox streams (tensor/math/philox.h): one block per 4 elements.
#include "tensor/ops/random.h"

#include "tensor/dispatch.h"
#include "tensor/math/philox.h"

namespace sp::cpu {

namespace {
// Calls f(i, block) for every element i in [0, n) with the block that holds it.
template <typename F>
void for_each_block(int64_t n, uint64_t seed, uint64_t offset, F&& f) {
  const int64_t blocks = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n >= 65536)
  for (int64_t b = 0; b < blocks; ++b) {
    const philox::Block blk = philox::stream_block(seed, offset, uint64_t(b));
    for (int64_t i = 4 * b; i < std::min(n, 4 * b + 4); ++i) f(i, blk);
  }
}
}  // namespace

void fill_uniform(const Tensor& out, uint64_t seed, uint64_t offset, double low, double high) {
  dispatch_floating(out.dtype(), "uniform", [&]<typename T>() {
    T* p = static_cast<T*>(out.data_ptr());
    const double span = high - low;
    for_each_block(out.numel(), seed, offset, [&](int64_t i, const philox::Block& b) {
      p[i] = convert<T>(fma(span, philox::uniform(b.w[i % 4]), low));
    });
  });
}

void fill_normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean, double std) {
  dispatch_floating(out.dtype(), "normal", [&]<typename T>() {
    T* p = static_cast<T*>(out.data_ptr());
    for_each_block(out.numel(), seed, offset, [&](int64_t i, const philox::Block& b) {
      p[i] = convert<T>(fma(std, philox::normal(b, int(i % 4)), mean));
    });
  });
}

void bernoulli(const Tensor& out, const Tensor& p, uint64_t seed, uint64_t offset) {
  const bool scalar = p.numel() == 1;
  dispatch_floating(p.dtype(), "bernoulli", [&]<typename P>() {
    const P* prob = static_cast<const P*>(p.data_ptr());
    dispatch_all(out.dtype(), "bernoulli", [&]<typename T>() {
      T* o = static_cast<T*>(out.data_ptr());
      for_each_block(out.numel(), seed, offset, [&](int64_t i, const philox::Block& b) {
        const double pi = convert<double>(prob[scalar ? 0 : i]);
        o[i] = convert<T>(philox::uniform(b.w[i % 4]) < pi ? 1.0 : 0.0);
      });
    });
  });
}

void fill_randint(const Tensor& out, uint64_t seed, uint64_t offset, int64_t low, uint64_t range) {
  dispatch_numeric(out.dtype(), "randint", [&]<typename T>() {
    T* o = static_cast<T*>(out.data_ptr());
    for_each_block(out.numel(), seed, offset, [&](int64_t i, const philox::Block& b) {
      o[i] = convert<T>(low + int64_t(uint64_t(b.w[i % 4]) % range));
    });
  });
}

void randperm(const Tensor& out, uint64_t seed, uint64_t offset) {
  const int64_t n = out.numel();
  std::vector<int64_t> perm(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  for (int64_t i = n - 1; i >= 1; --i) {  // word k = n - 1 - i picks the element for slot i
    const uint64_t word = philox::stream_word(seed, offset, uint64_t(n - 1 - i));
    std::swap(perm[i], perm[int64_t(word % uint64_t(i + 1))]);
  }
  dispatch_numeric(out.dtype(), "randperm", [&]<typename T>() {
    T* o = static_cast<T*>(out.data_ptr());
    for (int64_t i = 0; i < n; ++i) o[i] = convert<T>(perm[i]);
  });
}

}  // namespace sp::cpu
