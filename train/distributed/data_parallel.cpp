#include "train/distributed/data_parallel.h"

#include <numeric>

#include "data/random.h"
#include "tensor/ops/copy.h"

namespace sp::train {
namespace {

// Broadcasts t in place; a non-contiguous t goes through a contiguous copy.
void broadcast_tensor(Tensor& t, Communicator& comm, int root) {
  if (t.is_contiguous()) {
    comm.broadcast(t, root);
    return;
  }
  Tensor flat = t.contiguous();
  comm.broadcast(flat, root);
  copy_into(t, flat);
}

uint64_t hash_bytes(const Tensor& t, uint64_t h) {
  Tensor host = t.contiguous().cpu();
  const auto* bytes = static_cast<const uint8_t*>(host.data_ptr());
  for (size_t i = 0; i < host.nbytes(); ++i) h = (h ^ bytes[i]) * 0x100000001B3ull;  // FNV-1a
  return h;
}

}  // namespace

void broadcast_parameters(nn::Module& module, Communicator& comm, int root) {
  if (comm.world_size() == 1) return;
  for (auto& [name, param] : module.named_parameters()) {
    Tensor data = param.data();
    broadcast_tensor(data, comm, root);
  }
  for (auto& [name, buffer] : module.named_buffers()) {
    Tensor data = buffer;
    broadcast_tensor(data, comm, root);
  }
}

bool parameters_in_sync(const nn::Module& module, Communicator& comm) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& [name, param] : module.named_parameters()) h = hash_bytes(param.data(), h);
  for (const auto& [name, buffer] : module.named_buffers()) h = hash_bytes(buffer, h);
  std::vector<uint64_t> all = comm.allgather(h);
  for (uint64_t other : all)
    if (other != all[0]) return false;
  return true;
}

bool any_rank(Communicator& comm, bool value) {
  if (comm.world_size() == 1) return value;
  for (uint8_t v : comm.allgather(uint8_t(value ? 1 : 0)))
    if (v) return true;
  return false;
}

double mean_over_ranks(Communicator& comm, double value) {
  if (comm.world_size() == 1) return value;
  double total = 0;
  for (double v : comm.allgather(value)) total += v;
  return total / comm.world_size();
}

ShardSampler::ShardSampler(int64_t dataset_size, int rank, int world_size, uint64_t seed,
                           bool shuffle, bool drop_last)
    : size_(dataset_size), rank_(rank), world_size_(world_size), seed_(seed), shuffle_(shuffle) {
  SP_CHECK(world_size >= 1 && rank >= 0 && rank < world_size,
           "ShardSampler: expected 0 <= rank < world_size, got rank ", rank, " of ", world_size);
  SP_CHECK(dataset_size >= 0, "ShardSampler: expected a non-negative dataset size, got ",
           dataset_size);
  shard_size_ =
      drop_last ? dataset_size / world_size : (dataset_size + world_size - 1) / world_size;
  SP_CHECK(!drop_last || dataset_size == 0 || shard_size_ > 0,
           "ShardSampler: drop_last leaves no sample: ", dataset_size, " samples over ", world_size,
           " ranks");
}

std::vector<int64_t> ShardSampler::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(size_t(size_), 0);
  std::iota(order.begin(), order.end(), int64_t(0));
  if (shuffle_) {  // Fisher-Yates with the portable stream of data/random.h
    data::Rng rng({seed_, uint64_t(epoch), 0x5348415244ull});
    for (int64_t i = size_ - 1; i > 0; --i)
      std::swap(order[i], order[rng.randint(int64_t(0), i + 1)]);
  }
  return order;
}

std::vector<int64_t> ShardSampler::indices(int64_t epoch) const {
  std::vector<int64_t> order = epoch_order(epoch);
  std::vector<int64_t> mine;
  mine.reserve(size_t(shard_size_));
  if (size_ == 0) return mine;
  for (int64_t k = 0; k < shard_size_; ++k) {
    int64_t position = k * world_size_ + rank_;
    mine.push_back(order[size_t(position % size_)]);  // positions past the end wrap: padding
  }
  return mine;
}

ShardedDataset::ShardedDataset(std::shared_ptr<const data::Dataset> base, ShardSampler sampler)
    : base_(std::move(base)), sampler_(std::move(sampler)) {
  SP_CHECK(base_ != nullptr, "ShardedDataset: expected a dataset, got null");
  set_epoch(0);
}

void ShardedDataset::set_epoch(int64_t epoch) {
  indices_ = sampler_.indices(epoch);
}

data::Sample ShardedDataset::get(int64_t index, uint64_t seed) const {
  SP_CHECK(index >= 0 && index < size(), "ShardedDataset: expected an index in [0, ", size(),
           "), got ", index);
  return base_->get(indices_[size_t(index)],
                    data::hash_key({seed, uint64_t(sampler_.rank()), 0x52414E4Bull}));
}

}  // namespace sp::train
