#include "tensor/ops/sample.h"

#include <cmath>

#include "tensor/cuda/sample.h"
#include "tensor/ops/creation.h"

namespace sp {

namespace {
void check_grid(const Tensor& grid, int64_t n, const char* what) {
  check_defined(grid, what);
  SP_CHECK(grid.dim() == 4 && grid.size(3) == 2 && grid.size(0) == n, what,
           ": expected grid of shape [", n, ", Hout, Wout, 2], got ", grid.shape());
  check_floating(grid, what, "grid");
}

void check_image(const Tensor& t, const char* what, const char* arg) {
  check_defined(t, what);
  SP_CHECK(t.dim() == 4, what, ": expected ", arg, " of shape [N, C, H, W], got ", t.shape());
}
}  // namespace

Tensor grid_sample(const Tensor& input, const Tensor& grid, bool align_corners) {
  check_image(input, "grid_sample", "input");
  check_grid(grid, input.size(0), "grid_sample");
  check_same_device(input, grid, "grid_sample");
  SP_CHECK(input.dtype() == grid.dtype(), "grid_sample: expected input and grid of one dtype, got ",
           input.dtype(), " and ", grid.dtype());
  SP_CHECK(input.size(2) > 0 && input.size(3) > 0,
           "grid_sample: expected non-empty spatial dims, got ", input.shape());
  Tensor out = empty({input.size(0), input.size(1), grid.size(1), grid.size(2)}, input.dtype(),
                     input.device());
  if (out.numel() == 0) return out;
  (input.is_cuda() ? cuda::grid_sample : cpu::grid_sample)(out, input.contiguous(),
                                                           grid.contiguous(), align_corners);
  return out;
}

namespace {
void check_grad_output(const Tensor& grad_output, const Tensor& grid, int64_t c, const char* what) {
  check_image(grad_output, what, "grad_output");
  const Shape want{grid.size(0), c, grid.size(1), grid.size(2)};
  SP_CHECK(grad_output.shape() == want, what, ": expected grad_output of shape ", want, ", got ",
           grad_output.shape());
  SP_CHECK(grad_output.dtype() == grid.dtype(), what, ": expected grad_output of dtype ",
           grid.dtype(), ", got ", grad_output.dtype());
  check_same_device(grad_output, grid, what);
}
}  // namespace

Tensor grid_sample_backward_input(const Tensor& grad_output, const Tensor& grid,
                                  const Shape& input_shape, bool align_corners) {
  const char* what = "grid_sample_backward_input";
  SP_CHECK(input_shape.rank() == 4, what, ": expected an input shape [N, C, H, W], got ",
           input_shape);
  check_grid(grid, input_shape[0], what);
  check_grad_output(grad_output, grid, input_shape[1], what);
  Tensor grad_input = zeros(input_shape, grid.dtype(), grid.device());
  if (grad_output.numel() == 0 || grad_input.numel() == 0) return grad_input;
  (grid.is_cuda() ? cuda::grid_sample_backward : cpu::grid_sample_backward)(
      grad_input, Tensor(), grad_output.contiguous(), Tensor(), grid.contiguous(), align_corners);
  return grad_input;
}

Tensor grid_sample_backward_grid(const Tensor& grad_output, const Tensor& input, const Tensor& grid,
                                 bool align_corners) {
  const char* what = "grid_sample_backward_grid";
  check_image(input, what, "input");
  check_grid(grid, input.size(0), what);
  check_grad_output(grad_output, grid, input.size(1), what);
  SP_CHECK(input.dtype() == grid.dtype(), what, ": expected input and grid of one dtype, got ",
           input.dtype(), " and ", grid.dtype());
  Tensor grad_grid = zeros(grid.shape(), grid.dtype(), grid.device());
  if (grid.numel() == 0 || input.numel() == 0) return grad_grid;
  (grid.is_cuda() ? cuda::grid_sample_backward : cpu::grid_sample_backward)(
      Tensor(), grad_grid, grad_output.contiguous(), input.contiguous(), grid.contiguous(),
      align_corners);
  return grad_grid;
}

namespace {
Tensor interpolate_impl(const Tensor& input, int64_t out_h, int64_t out_w, InterpMode mode,
                        bool align_corners, double scale_h, double scale_w) {
  check_image(input, "interpolate", "input");
  check_floating(input, "interpolate", "input");
  SP_CHECK(out_h > 0 && out_w > 0, "interpolate: expected a positive output size, got [", out_h,
           ", ", out_w, "] for input ", input.shape());
  SP_CHECK(input.size(2) > 0 && input.size(3) > 0,
           "interpolate: expected non-empty spatial dims, got ", input.shape());
  SP_CHECK(mode == InterpMode::Bilinear || !align_corners,
           "interpolate: expected align_corners=false for nearest mode, got true");
  Tensor out = empty({input.size(0), input.size(1), out_h, out_w}, input.dtype(), input.device());
  if (out.numel() == 0) return out;
  (input.is_cuda() ? cuda::interpolate : cpu::interpolate)(out, input.contiguous(), mode,
                                                           align_corners, scale_h, scale_w);
  return out;
}
}  // namespace

Tensor interpolate(const Tensor& input, int64_t out_h, int64_t out_w, InterpMode mode,
                   bool align_corners) {
  return interpolate_impl(input, out_h, out_w, mode, align_corners, 0.0, 0.0);
}

Tensor interpolate_scaled(const Tensor& input, double scale_h, double scale_w, InterpMode mode,
                          bool align_corners) {
  check_image(input, "interpolate", "input");
  SP_CHECK(scale_h > 0 && scale_w > 0, "interpolate: expected positive scale factors, got ",
           scale_h, " and ", scale_w);
  const int64_t out_h = int64_t(std::floor(double(input.size(2)) * scale_h));
  const int64_t out_w = int64_t(std::floor(double(input.size(3)) * scale_w));
  return interpolate_impl(input, out_h, out_w, mode, align_corners, scale_h, scale_w);
}

Tensor interpolate_bilinear_backward(const Tensor& grad_output, const Shape& input_shape,
                                     bool align_corners, double scale_h, double scale_w) {
  const char* what = "interpolate_bilinear_backward";
  check_image(grad_output, what, "grad_output");
  check_floating(grad_output, what, "grad_output");
  SP_CHECK(input_shape.rank() == 4 && input_shape[0] == grad_output.size(0) &&
               input_shape[1] == grad_output.size(1),
           what, ": expected an input shape [", grad_output.size(0), ", ", grad_output.size(1),
           ", H, W], got ", input_shape);
  Tensor grad_input = zeros(input_shape, grad_output.dtype(), grad_output.device());
  if (grad_output.numel() == 0 || grad_input.numel() == 0) return grad_input;
  (grad_output.is_cuda() ? cuda::interpolate_bilinear_backward
                         : cpu::interpolate_bilinear_backward)(grad_input, grad_output.contiguous(),
                                                               align_corners, scale_h, scale_w);
  return grad_input;
}

Tensor homography_grid(const Tensor& homographies, int64_t height, int64_t width, bool normalized,
                       DType dtype) {
  const char* what = "homography_grid";
  check_defined(homographies, what);
  SP_CHECK(homographies.dim() == 3 && homographies.size(1) == 3 && homographies.size(2) == 3, what,
           ": expected homographies [B, 3, 3], got ", homographies.shape());
  SP_CHECK(homographies.dtype() == DType::F32 || homographies.dtype() == DType::F64, what,
           ": expected f32 or f64 homographies, got ", homographies.dtype());
  SP_CHECK(dtype == DType::F32 || dtype == DType::F64, what,
           ": expected an f32 or f64 output, got ", dtype);
  SP_CHECK(height >= 1 && width >= 1 && (!normalized || (height >= 2 && width >= 2)), what,
           ": expected a size of at least ", normalized ? "2x2" : "1x1", " pixels, got ", height,
           "x", width);
  Tensor out = empty({homographies.size(0), height, width, 2}, dtype, homographies.device());
  if (out.numel() == 0) return out;
  Tensor h = homographies.to(DType::F64).contiguous();
  (h.is_cuda() ? cuda::homography_grid : cpu::homography_grid)(out, h, normalized);
  return out;
}

}  // namespace sp
