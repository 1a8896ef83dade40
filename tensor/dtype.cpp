#include "tensor/dtype.h"

#include "tensor/check.h"

namespace sp {

size_t size_of(DType t) {
  switch (t) {
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F64:
    case DType::I64:
      return 8;
    case DType::F16:
    case DType::BF16:
      return 2;
    case DType::U8:
    case DType::Bool:
      return 1;
  }
  SP_ASSERT(false, "unknown dtype");
}

const char* name(DType t) {
  switch (t) {
    case DType::F32:
      return "f32";
    case DType::F64:
      return "f64";
    case DType::F16:
      return "f16";
    case DType::BF16:
      return "bf16";
    case DType::I32:
      return "i32";
    case DType::I64:
      return "i64";
    case DType::U8:
      return "u8";
    case DType::Bool:
      return "bool";
  }
  return "?";
}

bool is_floating(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::F16 || t == DType::BF16;
}
bool is_integral(DType t) {
  return !is_floating(t);
}

DType parse_dtype(const std::string& s) {
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::I32, DType::I64,
                  DType::U8, DType::Bool}) {
    if (s == name(t)) return t;
  }
  if (s == "float32" || s == "float") return DType::F32;
  if (s == "float64" || s == "double") return DType::F64;
  if (s == "float16" || s == "half") return DType::F16;
  if (s == "bfloat16") return DType::BF16;
  if (s == "int32") return DType::I32;
  if (s == "int64" || s == "long") return DType::I64;
  if (s == "uint8") return DType::U8;
  SP_FAIL("dtype: expected one of f32, f64, f16, bf16, i32, i64, u8, bool, got '", s, "'");
}

namespace {
int rank_of(DType t) {
  switch (t) {
    case DType::Bool:
      return 0;
    case DType::U8:
      return 1;
    case DType::I32:
      return 2;
    case DType::I64:
      return 3;
    case DType::F16:
    case DType::BF16:
      return 4;
    case DType::F32:
      return 5;
    case DType::F64:
      return 6;
  }
  return 0;
}
}  // namespace

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if ((a == DType::F16 && b == DType::BF16) || (a == DType::BF16 && b == DType::F16))
    return DType::F32;
  return rank_of(a) >= rank_of(b) ? a : b;
}

DType compute_type(DType t) {
  return (t == DType::F16 || t == DType::BF16) ? DType::F32 : t;
}

std::ostream& operator<<(std::ostream& os, DType t) {
  return os << name(t);
}

}  // namespace sp
