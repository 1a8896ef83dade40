// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11;
// the Random123 reference) and the scalar transforms shared by the CPU and CUDA random
// kernels. Everything here is SP_HOST_DEVICE and uses only integer arithmetic, IEEE
// +, -, *, /, sqrt and explicit fma, so both devices produce the same bits (no libm:
// log/sin/cos are evaluated by the polynomials below, whatever -fmad or -ffp-contract).
//
// Stream layout (what makes element i of a draw a pure function of (seed, offset, i)):
//   key     = {lo32(seed), hi32(seed)}
//   counter = {lo32(block), hi32(block), 0, 0} with block = offset + i / 4
//   element i takes 32-bit word (i % 4) of philox(counter, key).
// A draw of n elements consumes ceil(n / 4) blocks: the generator's offset (counted in
// 4-word blocks) advances by that much, so consecutive draws never reuse a block.
//   uniform u    = (word >> 8) * 2^-24, in [0, 1) (24-bit resolution for every dtype)
//   normal       = Box-Muller on the word pairs (0, 1) and (2, 3) of a block: words 0
//                  and 2 give r = sqrt(-2 ln u1) with u1 = ((word >> 8) + 1) * 2^-24 in
//                  (0, 1], words 1 and 3 give theta = 2 pi u2; lane 0/2 = r cos theta,
//                  lane 1/3 = r sin theta. Computed in double, then rounded to the dtype.
//   transforms   low + (high - low) * u and mean + std * z are one fma in double.
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/math/half.h"  // SP_HOST_DEVICE

namespace sp::philox {

struct Block {
  uint32_t w[4];
};

SP_HOST_DEVICE inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = uint64_t(a) * uint64_t(b);
  hi = uint32_t(p >> 32);
  lo = uint32_t(p);
}

// Philox4x32 with 10 rounds on (counter, key).
SP_HOST_DEVICE inline Block philox4x32_10(Block ctr, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // multipliers
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kM0, ctr.w[0], hi0, lo0);
    mulhilo(kM1, ctr.w[2], hi1, lo1);
    ctr = Block{{hi1 ^ ctr.w[1] ^ k0, lo1, hi0 ^ ctr.w[3] ^ k1, lo0}};
    k0 += kW0;
    k1 += kW1;
  }
  return ctr;
}

// The 4 words of block `offset + block_index` of the stream of `seed`.
SP_HOST_DEVICE inline Block stream_block(uint64_t seed, uint64_t offset, uint64_t block_index) {
  const uint64_t b = offset + block_index;
  return philox4x32_10(Block{{uint32_t(b), uint32_t(b >> 32), 0u, 0u}}, uint32_t(seed),
                       uint32_t(seed >> 32));
}

// Word i of the draw starting at `offset`.
SP_HOST_DEVICE inline uint32_t stream_word(uint64_t seed, uint64_t offset, uint64_t i) {
  return stream_block(seed, offset, i / 4).w[i % 4];
}

// [0, 1) with 24 random bits (exact in f32 and f64).
SP_HOST_DEVICE inline double uniform(uint32_t word) {
  return double(word >> 8) * (1.0 / 16777216.0);
}

// ln(u) for u in (0, 1]: u = m * 2^e with m in [sqrt(1/2), sqrt(2)),
// ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, series to s^19 (error < 1e-16).
SP_HOST_DEVICE inline double log_unit(double u) {
  int e = 0;
  while (u < 0.7071067811865476) {  // u >= 2^-24, so at most 24 exact doublings
    u *= 2.0;
    --e;
  }
  const double s = (u - 1.0) / (u + 1.0);
  const double z = s * s;
  double p = 1.0 / 19;
  for (int k = 17; k >= 1; k -= 2) p = fma(p, z, 1.0 / k);
  return fma(2.0 * s, p, double(e) * 0.6931471805599453);
}

// sin and cos of 2 pi t for t in [0, 1): quadrant from 4t (exact), then Taylor series
// of phi = (frac(4t)) * pi / 2 in [0, pi / 2) to phi^17 / phi^18 (error < 1e-11).
SP_HOST_DEVICE inline void sincos_turn(double t, double& sin_out, double& cos_out) {
  const double q4 = t * 4.0;
  const int q = int(q4);
  const double phi = (q4 - double(q)) * 1.5707963267948966;
  const double z = phi * phi;
  double ps = 1.0, pc = 1.0;  // sin = phi * ps(z), cos = pc(z), Horner from the top
  for (int k = 8; k >= 1; --k) {
    ps = fma(-z / double((2 * k) * (2 * k + 1)), ps, 1.0);
    pc = fma(-z / double((2 * k - 1) * (2 * k)), pc, 1.0);
  }
  const double s = phi * ps, c = pc;
  switch (q) {
    case 0:
      sin_out = s;
      cos_out = c;
      break;
    case 1:
      sin_out = c;
      cos_out = -s;
      break;
    case 2:
      sin_out = -s;
      cos_out = -c;
      break;
    default:
      sin_out = -c;
      cos_out = s;
      break;
  }
}

// Standard normal for lane `lane` (0..3) of a block (Box-Muller on word pairs).
SP_HOST_DEVICE inline double normal(const Block& b, int lane) {
  const int pair = lane & ~1;
  const double u1 = double((b.w[pair] >> 8) + 1u) * (1.0 / 16777216.0);
  const double r = sqrt(-2.0 * log_unit(u1));
  double s, c;
  sincos_turn(uniform(b.w[pair + 1]), s, c);
  return (lane & 1) ? r * s : r * c;
}

}  // namespace sp::philox
