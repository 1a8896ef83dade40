// The one dtype-dispatch helper: calls f.template operator()<T>() with T the C++ type of
// `dtype`, for the dtypes a kernel supports. Usage:
//   dispatch_all(t.dtype(), "sum", [&]<typename T>() { ... });
#pragma once

#include <type_traits>

#include "tensor/check.h"
#include "tensor/dtype.h"

namespace sp {

#define SP_DISPATCH_CASE(DT, TYPE) \
  case DType::DT:                  \
    return f.template operator()<TYPE>();

// f32 and f64: kernels that compute in full float precision only.
template <typename F>
decltype(auto) dispatch_float(DType t, const char* what, F&& f) {
  switch (t) {
    SP_DISPATCH_CASE(F32, float)
    SP_DISPATCH_CASE(F64, double)
    default:
      SP_FAIL(what, ": expected dtype f32 or f64, got ", t);
  }
}

// Every floating type (f16/bf16 kernels load, convert to f32, compute, store).
template <typename F>
decltype(auto) dispatch_floating(DType t, const char* what, F&& f) {
  switch (t) {
    SP_DISPATCH_CASE(F32, float)
    SP_DISPATCH_CASE(F64, double)
    SP_DISPATCH_CASE(F16, Half)
    SP_DISPATCH_CASE(BF16, BFloat16)
    default:
      SP_FAIL(what, ": expected a floating dtype (f32, f64, f16, bf16), got ", t);
  }
}

// Numbers, not bool.
template <typename F>
decltype(auto) dispatch_numeric(DType t, const char* what, F&& f) {
  switch (t) {
    SP_DISPATCH_CASE(F32, float)
    SP_DISPATCH_CASE(F64, double)
    SP_DISPATCH_CASE(F16, Half)
    SP_DISPATCH_CASE(BF16, BFloat16)
    SP_DISPATCH_CASE(I32, int32_t)
    SP_DISPATCH_CASE(I64, int64_t)
    SP_DISPATCH_CASE(U8, uint8_t)
    default:
      SP_FAIL(what, ": expected a numeric dtype, got ", t);
  }
}

template <typename F>
decltype(auto) dispatch_all(DType t, const char* what, F&& f) {
  switch (t) {
    SP_DISPATCH_CASE(F32, float)
    SP_DISPATCH_CASE(F64, double)
    SP_DISPATCH_CASE(F16, Half)
    SP_DISPATCH_CASE(BF16, BFloat16)
    SP_DISPATCH_CASE(I32, int32_t)
    SP_DISPATCH_CASE(I64, int64_t)
    SP_DISPATCH_CASE(U8, uint8_t)
    SP_DISPATCH_CASE(Bool, bool)
  }
  SP_FAIL(what, ": unknown dtype");
}

// Integer index tensors (i32, i64).
template <typename F>
decltype(auto) dispatch_index(DType t, const char* what, F&& f) {
  switch (t) {
    SP_DISPATCH_CASE(I32, int32_t)
    SP_DISPATCH_CASE(I64, int64_t)
    default:
      SP_FAIL(what, ": expected an index dtype (i32 or i64), got ", t);
  }
}

#undef SP_DISPATCH_CASE

// Converts between element types through float/double/int64 as needed.
template <typename To, typename From>
SP_HOST_DEVICE inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) {
      return static_cast<float>(v) != 0.0f;
    } else {
      return v != From(0);
    }
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(v));
  } else if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) {
    return static_cast<To>(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace sp
