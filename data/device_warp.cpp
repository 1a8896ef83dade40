#include "data/device_warp.h"

#include <vector>

#include "data/homography.h"
#include "tensor/check.h"
#include "tensor/ops/conv.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/movement.h"
#include "tensor/ops/operators.h"
#include "tensor/ops/sample.h"

namespace sp::data {

namespace {

void check_homographies(const Tensor& h, const char* op) {
  SP_CHECK(h.defined() && h.dim() == 3 && h.size(1) == 3 && h.size(2) == 3, op,
           ": expected homographies [B, 3, 3], got ", h.defined() ? h.shape() : Shape{});
  SP_CHECK(h.dtype() == DType::F32 || h.dtype() == DType::F64, op,
           ": expected f32 or f64 homographies, got ", h.dtype());
}

}  // namespace

Tensor homography_source_positions(const Tensor& homographies, int64_t height, int64_t width) {
  check_homographies(homographies, "homography_source_positions");
  return homography_grid(homographies, height, width, /*normalized=*/false, homographies.dtype());
}

Tensor warp_batch(const Tensor& images, const Tensor& homographies) {
  check_homographies(homographies, "warp_batch");
  SP_CHECK(images.defined() && images.dim() == 4 && images.size(0) == homographies.size(0),
           "warp_batch: expected images [", homographies.size(0), ", C, H, W] for ",
           homographies.size(0), " homographies, got ",
           images.defined() ? images.shape() : Shape{});
  SP_CHECK(images.device() == homographies.device(),
           "warp_batch: expected images and homographies on one device, got ", images.device(),
           " and ", homographies.device());
  const int64_t h = images.size(2), w = images.size(3);
  SP_CHECK(h >= 2 && w >= 2, "warp_batch: expected images of at least 2x2 pixels, got ",
           images.shape());
  // align_corners=True coordinates, computed in f64 and stored in the images' dtype.
  Tensor grid = homography_grid(homographies, h, w, /*normalized=*/true, images.dtype());
  return grid_sample(images.contiguous(), grid, /*align_corners=*/true);
}

Tensor valid_mask_batch(int64_t height, int64_t width, const Tensor& homographies,
                        int erosion_radius) {
  check_homographies(homographies, "valid_mask_batch");
  SP_CHECK(erosion_radius >= 0, "valid_mask_batch: expected an erosion radius >= 0, got ",
           erosion_radius);
  const int64_t b = homographies.size(0);
  Tensor r = round(
      homography_source_positions(homographies, height, width));  // half to even, like the CPU
  Tensor x = r.narrow(3, 0, 1), y = r.narrow(3, 1, 1);
  Tensor inside = logical_and(logical_and(x >= 0.0, x <= double(width - 1)),
                              logical_and(y >= 0.0, y <= double(height - 1)));
  Tensor mask = inside.to(DType::F32).reshape({b, 1, height, width});
  if (erosion_radius == 0) return mask;
  // Erosion = no invalid pixel under the element. Outside the image counts as valid
  // (zero padding of the invalid map); the 2r x 2r element is anchored at (r, r).
  const int size = 2 * erosion_radius;
  std::vector<uint8_t> element = ellipse_element(size);
  std::vector<float> kernel(element.begin(), element.end());
  Tensor k = from_vector<float>(kernel, Shape{1, 1, size, size}, kCPU).to(mask.device());
  Tensor invalid =
      pad(1.0 - mask, {erosion_radius, erosion_radius - 1, erosion_radius, erosion_radius - 1});
  Tensor hits = conv2d(invalid, k, Tensor(), {});
  return (hits < 0.5).to(DType::F32);
}

}  // namespace sp::data
