// The rest of data parallelism: identical starting weights on every rank, and each rank
// reading its own disjoint shard of every epoch.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "data/datasets.h"
#include "nn/module.h"
#include "train/distributed/communicator.h"

namespace sp::train {

// Copies rank `root`'s parameters and buffers (running statistics) into every rank's
// module, in place (the Vars keep their identity, so optimizers stay valid). Call once
// after building (or restoring) the model, before the first step.
void broadcast_parameters(nn::Module& module, Communicator& comm, int root = 0);

// True when every rank's parameters and buffers equal root's bit for bit (a check for
// tests and for --debug runs: one small all-gather of hashes).
bool parameters_in_sync(const nn::Module& module, Communicator& comm);

// Host-side agreement between ranks, one tiny collective each: a stop request (Ctrl+C,
// max steps, a NaN loss) seen by any rank stops all of them at the same step (a rank
// that stops alone leaves the others waiting in the next all-reduce); logged losses and
// metrics averaged over the global batch.
bool any_rank(Communicator& comm, bool value);
double mean_over_ranks(Communicator& comm, double value);

// The indices of one rank's share of an epoch (PyTorch's DistributedSampler): all ranks
// draw the same permutation of [0, size) from (seed, epoch), pad it by repeating its
// start (or, with drop_last, truncate it) to a multiple of world_size, and rank r takes
// positions r, r + world_size, ... So shards are disjoint (except for the padding) and
// together cover the dataset, and every rank runs the same number of steps.
class ShardSampler {
 public:
  ShardSampler(int64_t dataset_size, int rank, int world_size, uint64_t seed = 0,
               bool shuffle = true, bool drop_last = false);
  int64_t shard_size() const { return shard_size_; }
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  // This rank's indices for `epoch`, in the order to visit them.
  std::vector<int64_t> indices(int64_t epoch) const;
  // The permutation of the whole dataset every rank shares for `epoch`.
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  int64_t size_;
  int rank_, world_size_;
  uint64_t seed_;
  bool shuffle_;
  int64_t shard_size_;
};

// A Dataset view of one rank's shard: index i is the base dataset's
// sampler.indices(epoch)[i]. Give it to a data::Loader with shuffle = false (the
// sampler already shuffles) and call set_epoch(e) before the loader's start_epoch(e).
// Sample seeds get the rank mixed in, so ranks draw different augmentations.
class ShardedDataset : public data::Dataset {
 public:
  ShardedDataset(std::shared_ptr<const data::Dataset> base, ShardSampler sampler);
  void set_epoch(int64_t epoch);
  int64_t size() const override { return int64_t(indices_.size()); }
  data::Sample get(int64_t index, uint64_t seed) const override;
  void begin_epoch(int64_t epoch) const override { base_->begin_epoch(epoch); }

 private:
  std::shared_ptr<const data::Dataset> base_;
  ShardSampler sampler_;
  std::vector<int64_t> indices_;
};

}  // namespace sp::train
