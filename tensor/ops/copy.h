// Copy and fill: the movement primitives every other op and view materialisation uses.
#pragma once

#include "tensor/tensor.h"

namespace sp {

// dst[...] = src[...] (src broadcast to dst's shape, converted to dst's dtype, across
// devices when needed). dst must not overlap src partially.
void copy_into(const Tensor& dst, const Tensor& src);
// Sets every element of dst to value (converted to dst's dtype).
void fill_into(const Tensor& dst, double value);

namespace cpu {
void copy_strided(const Tensor& dst, const Tensor& src);  // same shape, any strides/dtypes
void fill(const Tensor& dst, double value);
}  // namespace cpu

namespace cuda {
void copy_strided(const Tensor& dst, const Tensor& src);  // both on the same GPU
void fill(const Tensor& dst, double value);
}  // namespace cuda

}  // namespace sp
