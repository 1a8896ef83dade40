// GradientBucketer: averages the gradients of a module's parameters across ranks in
// a few large collectives instead of one per parameter (PyTorch DDP's buckets).
//
// Parameters are grouped into buckets of about `bucket_bytes` in reverse registration
// order (the order backward produces their gradients), one (device, dtype) per bucket.
// Each bucket's buffer holds its flattened gradients plus one "defined here" count per
// parameter, all-reduced together (asynchronous: MPI_Iallreduce, or NCCL on its own
// stream), then averaged and copied back.
//
// Overlap with backward (backward(loss), or prepare / hook / finish): the autograd engine
// tells when each parameter's gradient is final (ag::LeafGradReadyHook); a bucket is
// packed and its all-reduce started as soon as all its parameters are ready and every
// earlier bucket has been started, while backward goes on with the earlier layers.
// finish() starts the buckets not started yet, waits, averages and copies back.
// allreduce_gradients() is the same reduction after a plain backward (nothing overlaps).
//
// Collective order (every rank must issue the same collectives in the same order):
// every rank all-reduces every bucket exactly once per step, strictly in bucket index
// order, so the buckets agree among themselves whatever the timing. Backward itself may
// issue collectives too (SyncBatchNorm), so a bucket started during backward must also
// start between the same two of those on every rank: it does when every rank runs the
// same graph. prepare() checks that with one small allgather before backward (which
// parameters each rank's graph reaches, and its node and edge counts); when the ranks
// differ (a parameter unused on some ranks only), the step does not start buckets during
// backward and finish() reduces them all, as allreduce_gradients() does.
//
// A parameter whose gradient is undefined on some rank (unused in this step there)
// contributes zeros; its gradient stays undefined only when no rank produced one, so
// every rank applies the same update.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "autograd/var.h"
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

  // ag::backward(loss) with the all-reduces overlapped, on every rank; on return each
  // gradient is the mean over ranks. A plain backward with a SingleProcessCommunicator.
  void backward(const ag::Var& loss);

  // The steps of backward(loss), for callers that run backward themselves:
  // prepare(loss) after the forward (a collective: do the ranks' graphs agree?), then
  // ag::backward(loss, {}, false, hook()), then finish().
  void prepare(const ag::Var& loss);
  // Calls mark_ready for the leaves that are this bucketer's parameters.
  ag::LeafGradReadyHook hook();
  // The gradient of parameter `index` is final for this step (index among the parameters
  // that require grad, in constructor order, as in bucket_layout); starts the buckets
  // that became complete, in order.
  void mark_ready(size_t index);
  // Starts the buckets not started yet, waits for all, averages and copies back.
  void finish();

  // Call after a plain backward, before the optimizer step, on every rank: each
  // gradient becomes the mean over ranks (nothing overlaps). A no-op with a
  // SingleProcessCommunicator.
  void allreduce_gradients() { finish(); }

  // Buckets whose all-reduce started before finish() in the last step.
  size_t buckets_started_during_backward() const { return last_started_early_; }
  // Whether the last step's prepare() allowed starting buckets during backward.
  bool overlapped_last_step() const { return last_overlapped_; }

  size_t bucket_count() const { return buckets_.size(); }
  // Per bucket, indices into the constructor's parameters that require grad.
  std::vector<std::vector<size_t>> bucket_layout() const;

 private:
  struct Bucket {
    std::vector<size_t> params;    // indices into params_
    std::vector<int64_t> offsets;  // element offset of each in the buffer
    std::vector<char> defined;     // per parameter, this rank, when packed
    Tensor buffer;                 // flat: numel gradients, then one count per parameter
    DType dtype = DType::F32;
    Device device;
    int64_t numel = 0;
  };
  bool reduces() const { return comm_->backend() != "single" && !params_.empty(); }
  void reset_step();
  void start_ready_buckets();
  void start(size_t bucket);
  void unpack(Bucket& bucket);

  std::vector<ag::Var> params_;
  std::shared_ptr<Communicator> comm_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;                            // per parameter
  std::unordered_map<const ag::VarImpl*, size_t> index_of_;  // parameter by its value

  // State of the current step.
  bool in_step_ = false;           // between prepare() and finish()
  bool overlap_ = false;           // buckets may start during backward (all ranks agree)
  std::vector<char> ready_;        // per parameter
  std::vector<size_t> not_ready_;  // per bucket: parameters still to come
  std::vector<std::unique_ptr<PendingCollective>> pending_;  // per started bucket
  size_t next_start_ = 0;  // buckets start strictly in index order
  size_t started_early_ = 0;

  // What the last finished step did (reported above).
  size_t last_started_early_ = 0;
  bool last_overlapped_ = false;
};

}  // namespace sp::train
