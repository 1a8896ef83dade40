#include "tensor/ops/conv.h"

#include "tensor/cuda/conv.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

void check_args(const Conv2dArgs& a, const char* what) {
  SP_CHECK(a.stride[0] > 0 && a.stride[1] > 0, what, ": expected positive stride, got [",
           a.stride[0], ", ", a.stride[1], "]");
  SP_CHECK(a.padding[0] >= 0 && a.padding[1] >= 0, what, ": expected non-negative padding, got [",
           a.padding[0], ", ", a.padding[1], "]");
  SP_CHECK(a.dilation[0] > 0 && a.dilation[1] > 0, what, ": expected positive dilation, got [",
           a.dilation[0], ", ", a.dilation[1], "]");
  SP_CHECK(a.groups > 0, what, ": expected groups > 0, got ", a.groups);
}

// Checks input [N, C, H, W] against weight_shape [O, C/groups, kh, kw]; returns the output shape.
Shape conv_shapes(const Shape& in, const Shape& w, const Conv2dArgs& a, const char* what) {
  check_args(a, what);
  SP_CHECK(in.rank() == 4, what, ": expected input of shape [N, C, H, W], got ", in);
  SP_CHECK(w.rank() == 4, what, ": expected weight of shape [out, in/groups, kh, kw], got ", w);
  SP_CHECK(in[1] % a.groups == 0, what,
           ": expected input channels divisible by groups = ", a.groups, ", got input ", in);
  SP_CHECK(w[0] % a.groups == 0, what,
           ": expected output channels divisible by groups = ", a.groups, ", got weight ", w);
  SP_CHECK(w[1] == in[1] / a.groups, what,
           ": expected weight of shape [out, in/groups, kh, kw] with in/groups = ",
           in[1] / a.groups, ", got ", w);
  const int64_t ho = conv_output_size(in[2], w[2], a.stride[0], a.padding[0], a.dilation[0]);
  const int64_t wo = conv_output_size(in[3], w[3], a.stride[1], a.padding[1], a.dilation[1]);
  SP_CHECK(ho > 0 && wo > 0, what, ": expected the (padded) input ", in,
           " to be at least the dilated kernel ", w, ", got an output of size [", ho, ", ", wo,
           "]");
  return {in[0], w[0], ho, wo};
}

void check_float_pair(const Tensor& a, const Tensor& b, const char* what, const char* a_name,
                      const char* b_name) {
  check_defined(a, what);
  check_defined(b, what);
  check_same_device(a, b, what);
  check_floating(a, what, a_name);
  SP_CHECK(a.dtype() == DType::F32 || a.dtype() == DType::F64, what, ": expected ", a_name,
           " of dtype f32 or f64, got ", a.dtype());
  SP_CHECK(a.dtype() == b.dtype(), what, ": expected ", b_name, " of dtype ", a.dtype(), " like ",
           a_name, ", got ", b.dtype());
}

// A gradient buffer: the CUDA kernels overwrite every element (no zero-fill pass over
// what can be a gigabyte); the CPU kernels accumulate into zeros.
Tensor output_buffer(const Shape& shape, const Tensor& like) {
  return like.is_cuda() ? empty(shape, like.dtype(), like.device())
                        : zeros(shape, like.dtype(), like.device());
}

}  // namespace

int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation) {
  return (in + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

Tensor conv2d(const Tensor& input_in, const Tensor& weight, const Tensor& bias,
              const Conv2dArgs& args) {
  check_float_pair(input_in, weight, "conv2d", "input", "weight");
  SP_CHECK(input_in.dim() == 3 || input_in.dim() == 4,
           "conv2d: expected input of shape [N, C, H, W] or [C, H, W], got ", input_in.shape());
  const bool unbatched = input_in.dim() == 3;
  const Tensor input = unbatched ? input_in.unsqueeze(0) : input_in;
  Shape out_shape = conv_shapes(input.shape(), weight.shape(), args, "conv2d");
  if (bias.defined()) {
    check_float_pair(input, bias, "conv2d", "input", "bias");
    SP_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0), "conv2d: expected bias of shape [",
             weight.size(0), "], got ", bias.shape());
  }
  Tensor out = empty(out_shape, input.dtype(), input.device());
  if (out.numel() > 0)
    (out.is_cuda() ? cuda::conv2d_forward : cpu::conv2d_forward)(
        out, input.contiguous(), weight.contiguous(), bias.defined() ? bias.contiguous() : bias,
        args);
  return unbatched ? out.squeeze(0) : out;
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Shape& input_shape, const Tensor& weight,
                             const Conv2dArgs& args) {
  const char* what = "conv2d_backward_input";
  check_float_pair(grad_out, weight, what, "grad_out", "weight");
  Shape out_shape = conv_shapes(input_shape, weight.shape(), args, what);
  SP_CHECK(grad_out.shape() == out_shape, what, ": expected grad_out of shape ", out_shape,
           ", got ", grad_out.shape());
  Tensor grad_in = output_buffer(input_shape, grad_out);
  if (grad_in.is_cuda() ||
      (grad_out.numel() > 0 && weight.numel() > 0))  // CUDA zero-fills empty cases
    (grad_in.is_cuda() ? cuda::conv2d_backward_input : cpu::conv2d_backward_input)(
        grad_in, grad_out.contiguous(), weight.contiguous(), args);
  return grad_in;
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& input,
                              const Shape& weight_shape, const Conv2dArgs& args) {
  const char* what = "conv2d_backward_weight";
  check_float_pair(grad_out, input, what, "grad_out", "input");
  Shape out_shape = conv_shapes(input.shape(), weight_shape, args, what);
  SP_CHECK(grad_out.shape() == out_shape, what, ": expected grad_out of shape ", out_shape,
           ", got ", grad_out.shape());
  Tensor grad_w = output_buffer(weight_shape, grad_out);
  if (grad_w.is_cuda() || (grad_out.numel() > 0 && grad_w.numel() > 0))
    (grad_w.is_cuda() ? cuda::conv2d_backward_weight : cpu::conv2d_backward_weight)(
        grad_w, grad_out.contiguous(), input.contiguous(), args);
  return grad_w;
}

Tensor conv2d_backward_bias(const Tensor& grad_out) {
  const char* what = "conv2d_backward_bias";
  check_float_pair(grad_out, grad_out, what, "grad_out", "grad_out");
  SP_CHECK(grad_out.dim() == 4, what, ": expected grad_out of shape [N, out, Ho, Wo], got ",
           grad_out.shape());
  Tensor grad_b = output_buffer({grad_out.size(1)}, grad_out);
  if (grad_b.is_cuda() || grad_out.numel() > 0)
    (grad_b.is_cuda() ? cuda::conv2d_backward_bias : cpu::conv2d_backward_bias)(
        grad_b, grad_out.contiguous());
  return grad_b;
}

}  // namespace sp
