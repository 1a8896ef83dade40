#include "tensor/ops/pool.h"

#include "tensor/cuda/pool.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

std::string pair_str(const std::array<int64_t, 2>& v) {
  return detail::concat("[", v[0], ", ", v[1], "]");
}

// Resolves and checks the geometry of pooling an input of shape `in` (3-D or 4-D).
cpu::PoolGeometry pool_geometry(const Shape& in, const Pool2dArgs& a, bool is_max,
                                const char* what) {
  SP_CHECK(in.rank() == 3 || in.rank() == 4, what,
           ": expected input of shape [N, C, H, W] or [C, H, W], got ", in);
  SP_CHECK(a.kernel[0] > 0 && a.kernel[1] > 0, what, ": expected a positive kernel size, got ",
           pair_str(a.kernel));
  SP_CHECK(a.stride[0] >= 0 && a.stride[1] >= 0, what, ": expected positive stride, got ",
           pair_str(a.stride));
  SP_CHECK(a.dilation[0] > 0 && a.dilation[1] > 0, what, ": expected positive dilation, got ",
           pair_str(a.dilation));
  SP_CHECK(is_max || (a.dilation[0] == 1 && a.dilation[1] == 1), what,
           ": expected no dilation, got ", pair_str(a.dilation));
  SP_CHECK(a.padding[0] >= 0 && a.padding[1] >= 0 && a.padding[0] <= a.kernel[0] / 2 &&
               a.padding[1] <= a.kernel[1] / 2,
           what, ": expected padding at most half the kernel size ", pair_str(a.kernel), ", got ",
           pair_str(a.padding));
  cpu::PoolGeometry g;
  const int r = in.rank();
  g.planes = in[0] * (r == 4 ? in[1] : 1);
  g.height = in[r - 2], g.width = in[r - 1];
  g.kh = a.kernel[0], g.kw = a.kernel[1];
  g.sh = a.stride[0] ? a.stride[0] : a.kernel[0], g.sw = a.stride[1] ? a.stride[1] : a.kernel[1];
  g.ph = a.padding[0], g.pw = a.padding[1];
  g.dh = a.dilation[0], g.dw = a.dilation[1];
  g.count_include_pad = a.count_include_pad;
  g.out_h = pool_output_size(g.height, g.kh, g.sh, g.ph, g.dh, a.ceil_mode);
  g.out_w = pool_output_size(g.width, g.kw, g.sw, g.pw, g.dw, a.ceil_mode);
  SP_CHECK(g.out_h > 0 && g.out_w > 0, what, ": expected an input ", in,
           " at least the size of the kernel ", pair_str(a.kernel), ", got an output of size [",
           g.out_h, ", ", g.out_w, "]");
  return g;
}

Shape output_shape(const Shape& in, const cpu::PoolGeometry& g) {
  Shape out = in;
  out[in.rank() - 2] = g.out_h;
  out[in.rank() - 1] = g.out_w;
  return out;
}

void check_input(const Tensor& t, const char* what, const char* arg) {
  check_defined(t, what);
  SP_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, what, ": expected ", arg,
           " of dtype f32 or f64, got ", t.dtype());
}

}  // namespace

int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, bool ceil_mode) {
  const int64_t span =
      in + 2 * padding - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
  // With ceil_mode the last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * stride >= in + padding) --out;
  return out;
}

MaxPool2dResult max_pool2d(const Tensor& input, const Pool2dArgs& args, bool with_indices) {
  check_input(input, "max_pool2d", "input");
  cpu::PoolGeometry g = pool_geometry(input.shape(), args, true, "max_pool2d");
  Shape out = output_shape(input.shape(), g);
  MaxPool2dResult r{empty(out, input.dtype(), input.device()),
                    with_indices ? empty(out, DType::I64, input.device()) : Tensor()};
  if (r.values.numel() > 0)
    (input.is_cuda() ? cuda::max_pool2d : cpu::max_pool2d)(r.values, r.indices, input.contiguous(),
                                                           g);
  return r;
}

Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices,
                           const Shape& input_shape) {
  const char* what = "max_pool2d_backward";
  check_input(grad_out, what, "grad_out");
  check_defined(indices, what);
  check_same_device(grad_out, indices, what);
  check_dtype(indices, DType::I64, what, "indices");
  SP_CHECK(indices.shape() == grad_out.shape(), what,
           ": expected indices of the shape of grad_out ", grad_out.shape(), ", got ",
           indices.shape());
  SP_CHECK(
      (input_shape.rank() == 3 || input_shape.rank() == 4) && input_shape.rank() == grad_out.dim(),
      what, ": expected an input shape [N, C, H, W] or [C, H, W] of the rank of grad_out ",
      grad_out.shape(), ", got ", input_shape);
  for (int d = 0; d < input_shape.rank() - 2; ++d)
    SP_CHECK(input_shape[d] == grad_out.size(d), what, ": expected grad_out ", grad_out.shape(),
             " to match the leading dims of the input shape ", input_shape);
  Tensor grad_in = zeros(input_shape, grad_out.dtype(), grad_out.device());
  const int r = input_shape.rank();
  const int64_t planes = input_shape[0] * (r == 4 ? input_shape[1] : 1);
  if (grad_out.numel() > 0)
    (grad_out.is_cuda() ? cuda::max_pool2d_backward : cpu::max_pool2d_backward)(
        grad_in, grad_out.contiguous(), indices.contiguous(), planes);
  return grad_in;
}

Tensor avg_pool2d(const Tensor& input, const Pool2dArgs& args) {
  check_input(input, "avg_pool2d", "input");
  cpu::PoolGeometry g = pool_geometry(input.shape(), args, false, "avg_pool2d");
  Tensor out = empty(output_shape(input.shape(), g), input.dtype(), input.device());
  if (out.numel() > 0)
    (input.is_cuda() ? cuda::avg_pool2d : cpu::avg_pool2d)(out, input.contiguous(), g);
  return out;
}

Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& input_shape,
                           const Pool2dArgs& args) {
  const char* what = "avg_pool2d_backward";
  check_input(grad_out, what, "grad_out");
  cpu::PoolGeometry g = pool_geometry(input_shape, args, false, what);
  Shape expected = output_shape(input_shape, g);
  SP_CHECK(grad_out.shape() == expected, what, ": expected grad_out of shape ", expected, ", got ",
           grad_out.shape());
  Tensor grad_in = zeros(input_shape, grad_out.dtype(), grad_out.device());
  if (grad_out.numel() > 0)
    (grad_out.is_cuda() ? cuda::avg_pool2d_backward : cpu::avg_pool2d_backward)(
        grad_in, grad_out.contiguous(), g);
  return grad_in;
}

}  // namespace sp
