// Arithmetic operators on Var, as thin wrappers of autograd/functions/elementwise.h.
#pragma once

#include "autograd/functions/elementwise.h"

namespace sp::ag {

inline Var operator+(const Var& a, const Var& b) {
  return add(a, b);
}
inline Var operator+(const Var& a, const Scalar& b) {
  return add(a, b);
}
inline Var operator+(const Scalar& a, const Var& b) {
  return add(b, a);
}
inline Var operator-(const Var& a, const Var& b) {
  return sub(a, b);
}
inline Var operator-(const Var& a, const Scalar& b) {
  return sub(a, b);
}
inline Var operator-(const Scalar& a, const Var& b) {
  return sub(a, b);
}
inline Var operator*(const Var& a, const Var& b) {
  return mul(a, b);
}
inline Var operator*(const Var& a, const Scalar& b) {
  return mul(a, b);
}
inline Var operator*(const Scalar& a, const Var& b) {
  return mul(b, a);
}
inline Var operator/(const Var& a, const Var& b) {
  return div(a, b);
}
inline Var operator/(const Var& a, const Scalar& b) {
  return div(a, b);
}
inline Var operator/(const Scalar& a, const Var& b) {
  return div(a, b);
}
inline Var operator-(const Var& a) {
  return neg(a);
}

}  // namespace sp::ag
