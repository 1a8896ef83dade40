// 16-bit floating point storage types. Arithmetic always happens in f32: these types
// only convert (round-to-nearest-even) on the way in and out.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define SP_HOST_DEVICE __host__ __device__
#else
#define SP_HOST_DEVICE
#endif

namespace sp {

namespace detail {
SP_HOST_DEVICE inline uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
SP_HOST_DEVICE inline float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}
}  // namespace detail

// bfloat16: the upper 16 bits of an IEEE f32.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  SP_HOST_DEVICE BFloat16(float f) {  // NOLINT: implicit like a built-in float type
    uint32_t u = detail::float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {  // NaN stays a quiet NaN
      bits = static_cast<uint16_t>((u >> 16) | 0x40u);
    } else {
      u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
      bits = static_cast<uint16_t>(u >> 16);
    }
  }
  SP_HOST_DEVICE operator float() const { return detail::bits_float(uint32_t(bits) << 16); }
};

// IEEE 754 binary16.
struct Half {
  uint16_t bits = 0;
  Half() = default;
  SP_HOST_DEVICE Half(float f) {  // NOLINT
    uint32_t x = detail::float_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t abs = x & 0x7fffffffu;
    if (abs > 0x7f800000u) {
      bits = static_cast<uint16_t>(sign | 0x7e00u);
    } else if (abs >= 0x477ff000u) {  // overflows to infinity after rounding
      bits = static_cast<uint16_t>(sign | 0x7c00u);
    } else if (abs < 0x38800000u) {  // subnormal or zero in half
      // Add 0.5 (in half's smallest subnormal) via float arithmetic: rounds to nearest even.
      float a = detail::bits_float(abs) + 0.5f;
      bits = static_cast<uint16_t>(sign | (detail::float_bits(a) - 0x3f000000u));
    } else {
      uint32_t mant_odd = (abs >> 13) & 1u;
      abs += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round
      bits = static_cast<uint16_t>(sign | (abs >> 13));
    }
  }
  SP_HOST_DEVICE operator float() const {
    uint32_t sign = uint32_t(bits & 0x8000u) << 16;
    uint32_t exp = (bits >> 10) & 0x1fu;
    uint32_t mant = bits & 0x3ffu;
    if (exp == 0x1f) return detail::bits_float(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
      float m = float(mant) * (1.0f / 16777216.0f);  // mant * 2^-24
      return sign ? -m : m;
    }
    return detail::bits_float(sign | ((exp + 112) << 23) | (mant << 13));
  }
};

}  // namespace sp
