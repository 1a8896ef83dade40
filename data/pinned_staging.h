// Host-to-device transfer of loader batches through page-locked (pinned) staging
// buffers: the batch is packed into one pinned buffer, copied with asynchronous copies
// on the device's stream, and the buffer goes back to a free list once the stream has
// passed the copies. Loader workers call it, so the trainer thread never waits for a
// transfer or a cudaHostAlloc.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tensor/cuda/context.h"
#include "tensor/tensor.h"

namespace sp::data {

class PinnedStaging {
 public:
  // Every tensor of `host` (CPU) as a tensor on `device` (CUDA).
  std::map<std::string, Tensor> to_device(const std::map<std::string, Tensor>& host, Device device);

 private:
  cuda::PinnedBuffer take(size_t nbytes);
  void give_back(cuda::PinnedBuffer buffer);

  std::mutex mu_;
  std::vector<cuda::PinnedBuffer> free_;
};

}  // namespace sp::data
