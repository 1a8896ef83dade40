#include "tensor/storage.h"

#include <cstdlib>

#include "tensor/check.h"
#include "tensor/cuda/context.h"

namespace sp {

namespace {
std::shared_ptr<Storage> allocate_cpu(size_t nbytes) {
  constexpr size_t kAlign = 64;
  size_t rounded = (std::max<size_t>(nbytes, 1) + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  SP_CHECK(p != nullptr, "allocator: out of host memory allocating ", nbytes, " bytes");
  return std::make_shared<Storage>(p, nbytes, kCPU, [](void* q) { std::free(q); });
}
}  // namespace

std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device) {
  if (device.is_cpu()) return allocate_cpu(nbytes);
  void* p = cuda::device_malloc(nbytes, device.index);
  int index = device.index;
  return std::make_shared<Storage>(p, nbytes, device,
                                   [index](void* q) { cuda::device_free(q, index); });
}

}  // namespace sp
