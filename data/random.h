// Deterministic random streams for data generation and augmentation.
//
// Every stream is a std::mt19937_64 seeded with a splitmix64 hash of a key tuple, e.g.
// (seed, primitive, split, index) for a synthetic sample or (seed + i, stream tag) for
// the augmentation of sample i. So any sample is reproducible on its own, in any order
// and on any worker thread. Distributions are written out here (not std::*_distribution,
// whose algorithms differ between standard libraries) so streams are portable.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>

namespace sp::data {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t hash_key(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x243F6A8885A308D3ull;
  for (uint64_t p : parts) h = splitmix64(h ^ splitmix64(p));
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  Rng(std::initializer_list<uint64_t> key) : gen_(hash_key(key)) {}

  uint64_t bits() { return gen_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(gen_() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // NumPy's randint(a, b): integer in [a, b); float bounds are truncated like legacy NumPy.
  int64_t randint(int64_t a, int64_t b) {
    if (b <= a) return a;
    uint64_t span = uint64_t(b - a);
    return a + int64_t(gen_() % span);  // modulo bias < 2^-40 for the spans used here
  }
  int64_t randint(double a, double b) { return randint(int64_t(a), int64_t(b)); }
  // Standard normal (Box-Muller, one value per call).
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  // Normal truncated at +-2 stddev (scipy truncnorm(-2, 2), tf.truncated_normal).
  double truncated_normal(double mean, double stddev) {
    for (;;) {
      double z = normal();
      if (std::abs(z) <= 2.0) return mean + stddev * z;
    }
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace sp::data
