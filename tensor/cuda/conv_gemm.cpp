#include "tensor/cuda/conv_gemm.h"

#include "tensor/cuda/fused.h"
#include "tensor/cuda/matmul.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/reduce.h"

namespace sp::cuda {

bool is_pointwise_conv(const Shape& w, const Conv2dArgs& a) {
  return w.rank() == 4 && w[2] == 1 && w[3] == 1 && a.stride[0] == 1 && a.stride[1] == 1 &&
         a.padding[0] == 0 && a.padding[1] == 0 && a.groups == 1;
}

namespace {
// [N, C, H, W] (contiguous) as [N, C, H*W].
Tensor as_matrices(const Tensor& t) {
  return t.view({t.size(0), t.size(1), t.size(2) * t.size(3)});
}
}  // namespace

void conv1x1_forward(const Tensor& out, const Tensor& input, const Tensor& weight,
                     const Tensor& bias) {
  const int64_t n = input.size(0), o = weight.size(0), c = weight.size(1);
  Tensor w = weight.view({1, o, c}).expand({n, o, c});  // stride 0 over the batch
  matmul_batched(as_matrices(out), w, as_matrices(input));
  if (bias.defined()) bias_relu(out, out, bias, /*relu=*/false);
}

void conv1x1_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight) {
  const int64_t n = grad_out.size(0), o = weight.size(0), c = weight.size(1);
  Tensor wt = weight.view({o, c}).transpose(0, 1).unsqueeze(0).expand({n, c, o});
  matmul_batched(as_matrices(grad_in), wt, as_matrices(grad_out));
}

void conv1x1_backward_weight(const Tensor& grad_weight, const Tensor& grad_out,
                             const Tensor& input) {
  const int64_t n = grad_out.size(0), o = grad_weight.size(0), c = grad_weight.size(1);
  if (n == 1) {
    matmul_batched(grad_weight.view({1, o, c}), as_matrices(grad_out),
                   as_matrices(input).transpose(1, 2));
    return;
  }
  // One [O, C] product per image, then their sum (deterministic, unlike atomics).
  Tensor per_image = empty({n, o, c}, grad_weight.dtype(), grad_weight.device());
  matmul_batched(per_image, as_matrices(grad_out), as_matrices(input).transpose(1, 2));
  copy_into(grad_weight.view({o, c}), sp::sum(per_image, {0}));
}

}  // namespace sp::cuda
