// Storage: uniquely owns one allocation on one device. Shared between tensors through
// shared_ptr; never copied.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "tensor/device.h"

namespace sp {

class Storage {
 public:
  using Deleter = std::function<void(void*)>;
  Storage(void* ptr, size_t nbytes, Device device, Deleter deleter)
      : ptr_(ptr), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}
  ~Storage() {
    if (ptr_ && deleter_) deleter_(ptr_);
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return ptr_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* ptr_;
  size_t nbytes_;
  Device device_;
  Deleter deleter_;
};

// Allocates `nbytes` on `device`: 64-byte aligned host memory on the CPU, the
// stream-ordered pool on CUDA (tensor/cuda/context.h).
std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device);

}  // namespace sp
