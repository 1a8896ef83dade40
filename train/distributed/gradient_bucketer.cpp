#include "train/distributed/gradient_bucketer.h"

#include <map>
#include <utility>

#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp::train {

GradientBucketer::GradientBucketer(const std::vector<ag::Var>& parameters, std::shared_ptr<Communicator> comm,
                                   size_t bucket_bytes)
    : comm_(std::move(comm)) {
  SP_CHECK(comm_ != nullptr, "GradientBucketer: expected a communicator, got null");
  SP_CHECK(bucket_bytes > 0, "GradientBucketer: expected a positive bucket size, got ", bucket_bytes);
  for (const ag::Var& p : parameters)
    if (p.defined() && p.requires_grad()) params_.push_back(p);
  // One open bucket per (device, dtype); a bucket closes when it reaches bucket_bytes.
  std::map<std::pair<std::string, int>, size_t> open;
  for (size_t k = params_.size(); k-- > 0;) {
    const Tensor& data = params_[k].data();
    SP_CHECK(is_floating(data.dtype()), "GradientBucketer: expected floating parameters, got ", data.meta(),
             " for '", params_[k].name(), "'");
    auto key = std::make_pair(data.device().str(), int(data.dtype()));
    auto it = open.find(key);
    if (it == open.end()) {
      Bucket b;
      b.dtype = data.dtype();
      b.device = data.device();
      buckets_.push_back(std::move(b));
      it = open.emplace(key, buckets_.size() - 1).first;
    }
    Bucket& bucket = buckets_[it->second];
    bucket.params.push_back(k);
    bucket.offsets.push_back(bucket.numel);
    bucket.numel += data.numel();
    if (size_t(bucket.numel) * size_of(bucket.dtype) >= bucket_bytes) open.erase(it);
  }
}

std::vector<std::vector<size_t>> GradientBucketer::bucket_layout() const {
  std::vector<std::vector<size_t>> layout;
  for (const Bucket& b : buckets_) layout.push_back(b.params);
  return layout;
}

void GradientBucketer::pack(Bucket& bucket, const std::vector<bool>& defined) {
  if (!bucket.buffer.defined()) bucket.buffer = empty({bucket.numel}, bucket.dtype, bucket.device);
  for (size_t i = 0; i < bucket.params.size(); ++i) {
    const ag::Var& p = params_[bucket.params[i]];
    Tensor slot = bucket.buffer.narrow(0, bucket.offsets[i], p.numel()).view(p.shape());
    if (defined[bucket.params[i]])
      copy_into(slot, p.grad());
    else
      fill_into(slot, 0.0);
  }
}

void GradientBucketer::unpack(Bucket& bucket, const std::vector<bool>& any_defined) {
  mul_(bucket.buffer, Scalar(1.0 / comm_->world_size()));
  for (size_t i = 0; i < bucket.params.size(); ++i) {
    ag::Var& p = params_[bucket.params[i]];
    if (!any_defined[bucket.params[i]]) continue;
    Tensor averaged = bucket.buffer.narrow(0, bucket.offsets[i], p.numel()).view(p.shape());
    if (p.grad().defined())
      copy_into(p.grad(), averaged);
    else
      p.set_grad(averaged.clone());
  }
}

void GradientBucketer::allreduce_gradients() {
  // A 1-rank MPI or NCCL run still goes through the collectives (so the GPU tests
  // exercise them with one GPU); only the single-process communicator skips them.
  if (comm_->backend() == "single" || params_.empty()) return;
  std::vector<bool> defined(params_.size());
  Tensor flags = zeros({int64_t(params_.size())}, DType::I32);
  int32_t* f = flags.data<int32_t>();
  for (size_t k = 0; k < params_.size(); ++k) {
    defined[k] = params_[k].grad().defined();
    if (defined[k]) {
      SP_CHECK(params_[k].grad().shape() == params_[k].shape(), "GradientBucketer: expected the gradient of '",
               params_[k].name(), "' to have shape ", params_[k].shape(), ", got ", params_[k].grad().shape());
      f[k] = 1;
    }
  }
  std::vector<bool> any_defined(params_.size());
  // The flags travel over MPI-compatible host memory: NCCL wants device tensors.
  if (comm_->backend() == "nccl") {
    Tensor device_flags = flags.to(buckets_.front().device);
    comm_->allreduce_sum(device_flags);
    flags = device_flags.cpu();
  } else {
    comm_->allreduce_sum(flags);
  }
  f = flags.data<int32_t>();
  for (size_t k = 0; k < params_.size(); ++k) any_defined[k] = f[k] > 0;

  // Pack bucket b + 1 while bucket b's all-reduce runs.
  std::vector<std::unique_ptr<PendingCollective>> pending(buckets_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) {
    pack(buckets_[b], defined);
    pending[b] = comm_->allreduce_sum_async(buckets_[b].buffer);
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    pending[b]->wait();
    unpack(buckets_[b], any_defined);
  }
}

}  // namespace sp::train
