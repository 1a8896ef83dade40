#include "data/loader.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "tensor/ops/creation.h"

namespace sp::data {

namespace {

// The samples' tensors of `key` on the CPU, checked to agree in dtype, rank and every
// dimension but the first.
std::vector<Tensor> gather_key(const std::vector<Sample>& samples, const std::string& key) {
  std::vector<Tensor> out;
  const Tensor& first = samples[0].at(key);
  for (size_t i = 0; i < samples.size(); ++i) {
    auto it = samples[i].find(key);
    SP_CHECK(it != samples[i].end(), "collate: expected key '", key, "' in sample ", i,
             ", got none");
    Tensor t = it->second.cpu().contiguous();
    bool same = t.dtype() == first.dtype() && t.dim() == first.dim() && t.dim() > 0;
    for (int d = 1; same && d < t.dim(); ++d) same = t.size(d) == first.size(d);
    SP_CHECK(same || t.shape() == first.shape(), "collate: expected '", key, "' of shape ",
             first.shape(), " ", first.dtype(),
             " (or another length in the first dimension) in every sample, got ", t.shape(), " ",
             t.dtype(), " in sample ", i);
    out.push_back(t);
  }
  return out;
}

}  // namespace

Batch collate(const std::vector<Sample>& samples) {
  SP_CHECK(!samples.empty(), "collate: expected at least one sample, got none");
  Batch out;
  const int64_t b = int64_t(samples.size());
  for (const auto& [key, first] : samples[0]) {
    const std::vector<Tensor> parts = gather_key(samples, key);
    int64_t longest = first.dim() > 0 ? first.size(0) : 0;
    bool ragged = false;
    for (const Tensor& t : parts) {
      ragged |= t.shape() != first.shape();
      if (t.dim() > 0) longest = std::max(longest, t.size(0));
    }
    Shape bshape = first.shape();
    if (ragged) bshape[0] = longest;
    bshape.insert(0, b);
    const bool index_like = first.dtype() == DType::I32 || first.dtype() == DType::I64;
    Tensor stacked = ragged ? full(bshape, index_like ? -1.0 : 0.0, first.dtype())
                            : empty(bshape, first.dtype());
    const size_t row = ragged ? stacked.nbytes() / size_t(b) : first.nbytes();
    for (int64_t i = 0; i < b; ++i)
      std::memcpy(static_cast<char*>(stacked.data_ptr()) + size_t(i) * row,
                  parts[size_t(i)].data_ptr(), parts[size_t(i)].nbytes());
    out[key] = stacked;
    const std::string mask_key = "keypoint_mask" + key.substr(std::min<size_t>(key.size(), 9));
    if (ragged && key.rfind("keypoints", 0) == 0 && !samples[0].count(mask_key)) {
      Tensor mask = zeros({b, longest}, DType::Bool);
      for (int64_t i = 0; i < b; ++i)
        mask.select(0, i).narrow(0, 0, parts[size_t(i)].size(0)).fill_(1);
      out[mask_key] = mask;
    }
  }
  return out;
}

Loader::Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), opt_(options) {
  SP_CHECK(dataset_ != nullptr, "Loader: expected a dataset, got null");
  SP_CHECK(opt_.batch_size >= 1 && opt_.workers >= 0 && opt_.prefetch >= 1,
           "Loader: expected batch_size >= 1, workers >= 0, prefetch >= 1, got ", opt_.batch_size,
           ", ", opt_.workers, ", ", opt_.prefetch);
  int64_t n = dataset_->size();
  num_batches_ = opt_.drop_last ? n / opt_.batch_size : (n + opt_.batch_size - 1) / opt_.batch_size;
  start_epoch(0);
}

Loader::~Loader() {
  stop();
}

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
  SP_CHECK(first_batch >= 0 && first_batch <= num_batches_,
           "Loader: expected a first batch in [0, ", num_batches_, "], got ", first_batch);
  stop();
  epoch_ = epoch;
  dataset_->begin_epoch(epoch);
  int64_t n = dataset_->size();
  order_.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) order_[size_t(i)] = i;
  if (opt_.shuffle) {
    Rng rng({opt_.seed, uint64_t(epoch)});
    for (size_t i = order_.size(); i > 1; --i)
      std::swap(order_[i - 1], order_[size_t(rng.randint(int64_t(0), int64_t(i)))]);
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
        return stopping_ ||
               (next_to_build_ < num_batches_ && next_to_build_ < next_to_take_ + opt_.prefetch);
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
      if (error)
        errors_[b] = error;
      else
        ready_[b] = std::move(batch);
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
