// Arithmetic and comparison operators on Tensor (PyTorch's), as thin wrappers of
// tensor/ops/elementwise.h. Comparisons return bool tensors; there is no operator==
// on Tensor (it would read like handle equality): use eq()/ne().
#pragma once

#include "tensor/ops/elementwise.h"

namespace sp {

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator+(const Tensor& a, const Scalar& b) {
  return add(a, b);
}
inline Tensor operator+(const Scalar& a, const Tensor& b) {
  return add(b, a);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator-(const Tensor& a, const Scalar& b) {
  return sub(a, b);
}
inline Tensor operator-(const Scalar& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator*(const Tensor& a, const Scalar& b) {
  return mul(a, b);
}
inline Tensor operator*(const Scalar& a, const Tensor& b) {
  return mul(b, a);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator/(const Tensor& a, const Scalar& b) {
  return div(a, b);
}
inline Tensor operator/(const Scalar& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator-(const Tensor& a) {
  return neg(a);
}

inline Tensor operator<(const Tensor& a, const Tensor& b) {
  return lt(a, b);
}
inline Tensor operator<(const Tensor& a, const Scalar& b) {
  return lt(a, b);
}
inline Tensor operator<=(const Tensor& a, const Tensor& b) {
  return le(a, b);
}
inline Tensor operator<=(const Tensor& a, const Scalar& b) {
  return le(a, b);
}
inline Tensor operator>(const Tensor& a, const Tensor& b) {
  return gt(a, b);
}
inline Tensor operator>(const Tensor& a, const Scalar& b) {
  return gt(a, b);
}
inline Tensor operator>=(const Tensor& a, const Tensor& b) {
  return ge(a, b);
}
inline Tensor operator>=(const Tensor& a, const Scalar& b) {
  return ge(a, b);
}

// In place, like PyTorch's a += b (in a's dtype).
inline Tensor& operator+=(Tensor& a, const Tensor& b) {
  return add_(a, b);
}
inline Tensor& operator+=(Tensor& a, const Scalar& b) {
  return add_(a, b);
}
inline Tensor& operator-=(Tensor& a, const Tensor& b) {
  return sub_(a, b);
}
inline Tensor& operator*=(Tensor& a, const Tensor& b) {
  return mul_(a, b);
}
inline Tensor& operator*=(Tensor& a, const Scalar& b) {
  return mul_(a, b);
}
inline Tensor& operator/=(Tensor& a, const Tensor& b) {
  return div_(a, b);
}
inline Tensor& operator/=(Tensor& a, const Scalar& b) {
  return div_(a, b);
}

}  // namespace sp
