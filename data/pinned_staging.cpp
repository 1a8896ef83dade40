#include "data/pinned_staging.h"

#include <cstring>

#include "tensor/ops/creation.h"

namespace sp::data {

namespace {
constexpr size_t kAlign = 256;  // keeps every tensor's slice of the buffer aligned
size_t aligned(size_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}
}  // namespace

cuda::PinnedBuffer PinnedStaging::take(size_t nbytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < free_.size(); ++i) {
      if (free_[i].size() >= nbytes) {
        cuda::PinnedBuffer b = std::move(free_[i]);
        free_.erase(free_.begin() + std::ptrdiff_t(i));
        return b;
      }
    }
  }
  return cuda::PinnedBuffer(nbytes);
}

void PinnedStaging::give_back(cuda::PinnedBuffer buffer) {
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(std::move(buffer));
}

std::map<std::string, Tensor> PinnedStaging::to_device(const std::map<std::string, Tensor>& host,
                                                       Device device) {
  SP_CHECK(device.is_cuda(), "PinnedStaging: expected a CUDA device, got ", device);
  size_t total = 0;
  for (const auto& [key, t] : host) {
    SP_CHECK(t.device().is_cpu(), "PinnedStaging: expected '", key, "' on the CPU, got ",
             t.device());
    total += aligned(t.nbytes());
  }
  cuda::PinnedBuffer staging = take(total);
  std::map<std::string, Tensor> out;
  size_t offset = 0;
  for (const auto& [key, t] : host) {
    Tensor src = t.contiguous();
    char* slot = static_cast<char*>(staging.data()) + offset;
    std::memcpy(slot, src.data_ptr(), src.nbytes());
    Tensor dst = empty(src.shape(), src.dtype(), device);
    cuda::copy_host_to_device_async(dst.data_ptr(), slot, src.nbytes(), device.index);
    out[key] = dst;
    offset += aligned(src.nbytes());
  }
  cuda::synchronize(device.index);  // the copies are done: the buffer may be reused
  give_back(std::move(staging));
  return out;
}

}  // namespace sp::data
