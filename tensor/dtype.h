// Element types. Arithmetic on f16/bf16 happens in f32 (they are storage types).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

#include "tensor/math/half.h"

namespace sp {

enum class DType : uint8_t { F32, F64, F16, BF16, I32, I64, U8, Bool };

size_t size_of(DType t);
const char* name(DType t);  // "f32", "i64", "bool", ...
bool is_floating(DType t);
bool is_integral(DType t);  // integers and bool
DType parse_dtype(const std::string& s);
// Result type of a binary op (PyTorch rules for tensors of equal category: bool < u8 <
// i32 < i64 < f16/bf16 < f32 < f64; f16 with bf16 gives f32).
DType promote_types(DType a, DType b);
// The type in which a kernel computes for dtype t (f16/bf16 compute in f32).
DType compute_type(DType t);

std::ostream& operator<<(std::ostream& os, DType t);

// Maps a C++ type to its DType.
template <typename T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::F32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::F64;
};
template <>
struct dtype_of<Half> {
  static constexpr DType value = DType::F16;
};
template <>
struct dtype_of<BFloat16> {
  static constexpr DType value = DType::BF16;
};
template <>
struct dtype_of<int32_t> {
  static constexpr DType value = DType::I32;
};
template <>
struct dtype_of<int64_t> {
  static constexpr DType value = DType::I64;
};
template <>
struct dtype_of<uint8_t> {
  static constexpr DType value = DType::U8;
};
template <>
struct dtype_of<bool> {
  static constexpr DType value = DType::Bool;
};
template <typename T>
inline constexpr DType dtype_v = dtype_of<T>::value;

}  // namespace sp
