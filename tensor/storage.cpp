#include "tensor/storage.h"

#include "tensor/cuda/context.h"
#include "tensor/host_allocator.h"

namespace sp {

std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device) {
  if (device.is_cpu())
    return std::make_shared<Storage>(host::allocate(nbytes), nbytes, kCPU,
                                     [nbytes](void* q) { host::release(q, nbytes); });
  void* p = cuda::device_malloc(nbytes, device.index);
  int index = device.index;
  return std::make_shared<Storage>(p, nbytes, device,
                                   [index](void* q) { cuda::device_free(q, index); });
}

}  // namespace sp
