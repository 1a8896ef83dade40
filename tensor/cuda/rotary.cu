// CUDA rotary kernel (tensor/cuda/rotary.h): for_each_offset over pairs (the last dim
// halved, its strides doubled), as on the CPU.
#include "tensor/cuda/loops.cuh"
#include "tensor/cuda/rotary.h"

namespace sp::cuda {
namespace {

template <typename T>
struct RotaryFn {
  T* out;
  const T *x, *c, *s;
  int64_t so, sx, sc, ss;  // offset of a pair's second element in each operand
  bool transpose;
  __device__ void operator()(Offsets<4> o) const {
    using C = acc_t<T>;
    const C x0 = C(x[o[1]]), x1 = C(x[o[1] + sx]);
    const C c0 = C(c[o[2]]), c1 = C(c[o[2] + sc]);
    const C s0 = C(s[o[3]]), s1 = C(s[o[3] + ss]);
    if (transpose) {
      out[o[0]] = T(x0 * c0 + x1 * s1);
      out[o[0] + so] = T(x1 * c1 - x0 * s0);
    } else {
      out[o[0]] = T(x0 * c0 - x1 * s0);
      out[o[0] + so] = T(x1 * c1 + x0 * s1);
    }
  }
};

}  // namespace

void rotary(const Tensor& out, const Tensor& x, const Tensor& cos, const Tensor& sin,
            bool transpose) {
  const int dev = out.device().index;
  set_device(dev);
  Shape pairs = out.shape();
  const int last = pairs.rank() - 1;
  pairs[last] /= 2;
  std::array<Strides, 4> st{out.strides(), x.strides(), cos.strides(), sin.strides()};
  const int64_t so = st[0][last], sx = st[1][last], sc = st[2][last], ss = st[3][last];
  for (auto& s : st) s[last] *= 2;
  dispatch_floating(x.dtype(), "apply_rotary", [&]<typename T>() {
    for_each_offset<4>(dev, pairs, st,
                       RotaryFn<T>{out.data<T>(), x.data<T>(), cos.data<T>(), sin.data<T>(), so, sx,
                                   sc, ss, transpose},
                       "apply_rotary");
  });
}

}  // namespace sp::cuda
