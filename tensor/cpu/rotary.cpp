// CPU rotary kernel (tensor/ops/rotary.h): the strided iterator of loops.h over pairs
// (the last dim halved, its strides doubled), reading both elements of a pair per visit.
#include "tensor/ops/rotary.h"

#include "tensor/cpu/loops.h"
#include "tensor/dispatch.h"
#include "tensor/math/elementwise_math.h"

namespace sp::cpu {

void rotary(const Tensor& out, const Tensor& x, const Tensor& cos, const Tensor& sin,
            bool transpose) {
  Shape pairs = out.shape();
  pairs[pairs.rank() - 1] /= 2;
  std::array<Strides, 4> st{out.strides(), x.strides(), cos.strides(), sin.strides()};
  std::array<int64_t, 4> step{};  // offset of a pair's second element
  for (int k = 0; k < 4; ++k) {
    step[size_t(k)] = st[size_t(k)][pairs.rank() - 1];
    st[size_t(k)][pairs.rank() - 1] *= 2;
  }
  dispatch_floating(x.dtype(), "apply_rotary", [&]<typename T>() {
    using C = math::compute_t<T>;
    T* po = out.data<T>();
    const T* px = x.data<T>();
    const T* pc = cos.data<T>();
    const T* ps = sin.data<T>();
    for_each_offset<4>(pairs, st, [&](const std::array<int64_t, 4>& o) {
      const C x0 = C(px[o[1]]), x1 = C(px[o[1] + step[1]]);
      const C c0 = C(pc[o[2]]), c1 = C(pc[o[2] + step[2]]);
      const C s0 = C(ps[o[3]]), s1 = C(ps[o[3] + step[3]]);
      if (transpose) {
        po[o[0]] = T(x0 * c0 + x1 * s1);
        po[o[0] + step[0]] = T(x1 * c1 - x0 * s0);
      } else {
        po[o[0]] = T(x0 * c0 - x1 * s0);
        po[o[0] + step[0]] = T(x1 * c1 + x0 * s1);
      }
    });
  });
}

}  // namespace sp::cpu
