// Batch loader: worker threads fill a bounded prefetch queue with collated batches.
//
// Determinism: the batch sequence depends only on (dataset, options), never on the
// number of workers or on timing. Epoch e visits the dataset in order (or in the
// permutation Rng({seed, e}) with shuffle), and the sample at dataset index i gets
// the seed `seed + e * size + i` (so in epoch 0, sample i always uses seed + i).
// Errors in workers are rethrown by next() as sp::Error naming the sample index.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/datasets.h"
#include "data/pinned_staging.h"

namespace sp::data {

using Batch = std::map<std::string, Tensor>;

// Stacks samples key by key into [B, ...]; every sample must have the same keys. A key
// whose tensors differ only in their first dimension (keypoint sets: keypoints0 [N, 2],
// descriptors0 [N, D], ...) is padded to the longest: integer tensors with -1 (an
// unmatched index), others with 0. Each padded keypoints<suffix> gets a bool
// keypoint_mask<suffix> [B, N] (true for real points) unless the samples carry one.
Batch collate(const std::vector<Sample>& samples);

struct LoaderOptions {
  int64_t batch_size = 1;
  int workers = 0;   // 0: batches are built on the calling thread
  int prefetch = 4;  // batches ready ahead of the consumer
  bool shuffle = false;
  bool drop_last = false;
  uint64_t seed = 0;
  // Where batches are delivered. A CUDA device: workers copy each batch there through
  // pinned staging buffers (asynchronous copies), so next() returns device tensors.
  Device device = kCPU;
};

class Loader {
 public:
  Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  ~Loader();  // stops and joins the workers
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t num_batches() const { return num_batches_; }
  // Restarts at batch `first_batch` of `epoch` (stops the current epoch's workers).
  // Batches are a pure function of (seed, epoch, index), so a resumed run starts at its
  // position without building the batches before it.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // The next batch of the current epoch, or nullopt at its end.
  std::optional<Batch> next();

 private:
  Batch build(int64_t batch_index) const;
  void stop();
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions opt_;
  int64_t num_batches_ = 0;
  int64_t epoch_ = 0;
  std::vector<int64_t> order_;
  mutable PinnedStaging staging_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::map<int64_t, Batch> ready_;
  std::map<int64_t, std::exception_ptr> errors_;
  int64_t next_to_build_ = 0, next_to_take_ = 0;
  bool stopping_ = false;
};

}  // namespace sp::data
