#include "tensor/ops/copy.h"

#include "tensor/cuda/context.h"

namespace sp {

void copy_into(const Tensor& dst, const Tensor& src) {
  check_defined(dst, "copy");
  check_defined(src, "copy");
  Tensor s = src.shape() == dst.shape() ? src : src.expand(dst.shape());
  if (dst.numel() == 0) return;
  const Device dd = dst.device(), sd = s.device();
  if (dd.is_cpu() && sd.is_cpu()) return cpu::copy_strided(dst, s);
  if (dd.is_cuda() && sd.is_cuda()) {
    SP_CHECK(dd == sd, "copy: expected tensors on the same GPU, got ", dd, " and ", sd,
             "; hint: copy through the host with .cpu()");
    return cuda::copy_strided(dst, s);
  }
  // Across host and device: make a contiguous, same-dtype buffer on the source side,
  // move the bytes, then convert on the destination side if dst is not that buffer.
  Tensor packed = s.to(dst.dtype()).contiguous();
  const bool direct = dst.is_contiguous();
  Tensor landing = direct ? dst
                          : Tensor(allocate_storage(dst.nbytes(), dd), 0, dst.shape(),
                                   contiguous_strides(dst.shape()), dst.dtype());
  if (dd.is_cuda())
    cuda::copy_host_to_device(landing.data_ptr(), packed.data_ptr(), packed.nbytes(), dd.index);
  else
    cuda::copy_device_to_host(landing.data_ptr(), packed.data_ptr(), packed.nbytes(), sd.index);
  if (!direct) copy_into(dst, landing);
}

void fill_into(const Tensor& dst, double value) {
  check_defined(dst, "fill");
  if (dst.numel() == 0) return;
  if (dst.is_cpu()) return cpu::fill(dst, value);
  return cuda::fill(dst, value);
}

}  // namespace sp
