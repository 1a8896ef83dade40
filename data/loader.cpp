#include "data/loader.h"

#include <algorithm>
#include <cstring>

#include <omp.h>

#include "tensor/ops/creation.h"

namespace sp::data {

Batch collate(const std::vector<Sample>& samples) {
  SP_CHECK(!samples.empty(), "collate: expected at least one sample, got none");
  Batch out;
  int64_t b = int64_t(samples.size());
  for (const auto& [key, first] : samples[0]) {
    Shape shape = first.shape();
    Shape bshape = shape;
    bshape.insert(0, b);
    Tensor stacked = empty(bshape, first.dtype());
    size_t bytes = first.nbytes();
    for (int64_t i = 0; i < b; ++i) {
      auto it = samples[size_t(i)].find(key);
      SP_CHECK(it != samples[size_t(i)].end(), "collate: expected key '", key, "' in sample ", i, ", got none");
      Tensor t = it->second.cpu().contiguous();
      SP_CHECK(t.shape() == shape && t.dtype() == first.dtype(), "collate: expected '", key, "' of shape ", shape,
               " ", first.dtype(), " in every sample, got ", t.shape(), " ", t.dtype(), " in sample ", i);
      std::memcpy(static_cast<char*>(stacked.data_ptr()) + size_t(i) * bytes, t.data_ptr(), bytes);
    }
    out[key] = stacked;
  }
  return out;
}

Loader::Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), opt_(options) {
  SP_CHECK(dataset_ != nullptr, "Loader: expected a dataset, got null");
  SP_CHECK(opt_.batch_size >= 1 && opt_.workers >= 0 && opt_.prefetch >= 1,
           "Loader: expected batch_size >= 1, workers >= 0, prefetch >= 1, got ", opt_.batch_size, ", ", opt_.workers,
           ", ", opt_.prefetch);
  int64_t n = dataset_->size();
  num_batches_ = opt_.drop_last ? n / opt_.batch_size : (n + opt_.batch_size - 1) / opt_.batch_size;
  start_epoch(0);
}

Loader::~Loader() { stop(); }

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Loader::start_epoch(int64_t epoch, int64_t first_batch) {
  SP_CHECK(first_batch >= 0 && first_batch <= num_batches_, "Loader: expected a first batch in [0, ", num_batches_,
           "], got ", first_batch);
  stop();
  epoch_ = epoch;
  int64_t n = dataset_->size();
  order_.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) order_[size_t(i)] = i;
  if (opt_.shuffle) {
    Rng rng({opt_.seed, uint64_t(epoch)});
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[size_t(rng.randint(int64_t(0), int64_t(i)))]);
  }
  ready_.clear();
  errors_.clear();
  next_to_build_ = next_to_take_ = first_batch;
  stopping_ = false;
  for (int i = 0; i < opt_.workers; ++i) threads_.emplace_back([this] { worker_loop(); });
}

Batch Loader::build(int64_t batch_index) const {
  int64_t n = dataset_->size(), start = batch_index * opt_.batch_size;
  int64_t end = std::min(n, start + opt_.batch_size);
  std::vector<Sample> samples;
  for (int64_t k = start; k < end; ++k) {
    int64_t idx = order_[size_t(k)];
    try {
      samples.push_back(dataset_->get(idx, opt_.seed + uint64_t(epoch_ * n + idx)));
    } catch (const std::exception& e) {
      SP_FAIL("Loader: sample ", idx, " (batch ", batch_index, ") failed: ", e.what());
    }
  }
  Batch batch = collate(samples);
  return opt_.device.is_cuda() ? staging_.to_device(batch, opt_.device) : batch;
}

void Loader::worker_loop() {
  // Workers are the parallelism: each runs its tensor ops on one thread. Without this
  // every worker would start its own OpenMP team and the teams would spin against
  // each other (most of the time of a loader benchmark went to libgomp spinning).
  omp_set_num_threads(1);
  for (;;) {
    int64_t b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || (next_to_build_ < num_batches_ && next_to_build_ < next_to_take_ + opt_.prefetch);
      });
      if (stopping_) return;
      b = next_to_build_++;
    }
    Batch batch;
    std::exception_ptr error;
    try {
      batch = build(b);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (error) errors_[b] = error;
      else ready_[b] = std::move(batch);
    }
    cv_.notify_all();
  }
}

std::optional<Batch> Loader::next() {
  if (next_to_take_ >= num_batches_) return std::nullopt;
  if (opt_.workers == 0) return build(next_to_take_++);
  std::unique_lock<std::mutex> lock(mu_);
  int64_t b = next_to_take_;
  cv_.wait(lock, [&] { return ready_.count(b) || errors_.count(b); });
  ++next_to_take_;
  if (errors_.count(b)) {
    std::exception_ptr e = errors_[b];
    errors_.erase(b);
    lock.unlock();
    cv_.notify_all();
    std::rethrow_exception(e);
  }
  Batch out = std::move(ready_[b]);
  ready_.erase(b);
  lock.unlock();
  cv_.notify_all();
  return out;
}

}  // namespace sp::data
