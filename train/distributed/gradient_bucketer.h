// GradientBucketer: averages the gradients of a module's parameters across ranks in
// a few large collectives instead of one per parameter (PyTorch DDP's buckets).
//
// Parameters are grouped into buckets of about `bucket_bytes` in reverse registration
// order (the order backward produces their gradients), one (device, dtype) per bucket.
// allreduce_gradients() flattens each bucket's gradients into its buffer, starts the
// bucket's all-reduce (asynchronous: MPI_Iallreduce, or NCCL on its own stream) and goes
// on packing the next bucket while it runs; then it averages and copies back.
//
// Overlap with backward itself needs per-parameter "gradient ready" hooks, and the
// autograd engine has none yet: the reduction starts after backward returns. Once the
// engine grows hooks, mark_ready(param) can start a bucket as soon as it is full.
//
// A parameter whose gradient is undefined on some rank (unused in this step there)
// contributes zeros; its gradient stays undefined only when no rank produced one (one
// small extra all-reduce of flags per step), so every rank applies the same update.
#pragma once

#include <memory>
#include <vector>

#include "nn/module.h"
#include "train/distributed/communicator.h"

namespace sp::train {

class GradientBucketer {
 public:
  static constexpr size_t kDefaultBucketBytes = size_t(25) << 20;

  GradientBucketer(const std::vector<ag::Var>& parameters, std::shared_ptr<Communicator> comm,
                   size_t bucket_bytes = kDefaultBucketBytes);
  GradientBucketer(const nn::Module& module, std::shared_ptr<Communicator> comm,
                   size_t bucket_bytes = kDefaultBucketBytes)
      : GradientBucketer(module.parameters(), std::move(comm), bucket_bytes) {}

  // Call after backward, before the optimizer step, on every rank: each gradient
  // becomes the mean over ranks. A no-op with a SingleProcessCommunicator.
  void allreduce_gradients();

  size_t bucket_count() const { return buckets_.size(); }
  // Indices into the constructor's parameter list, per bucket.
  std::vector<std::vector<size_t>> bucket_layout() const;

 private:
  struct Bucket {
    std::vector<size_t> params;   // indices into params_
    std::vector<int64_t> offsets;  // element offset of each in the buffer
    Tensor buffer;                 // flat, allocated on first use
    DType dtype = DType::F32;
    Device device;
    int64_t numel = 0;
  };
  void pack(Bucket& bucket, const std::vector<bool>& defined);
  void unpack(Bucket& bucket, const std::vector<bool>& any_defined);

  std::vector<ag::Var> params_;
  std::shared_ptr<Communicator> comm_;
  std::vector<Bucket> buckets_;
};

}  // namespace sp::train
