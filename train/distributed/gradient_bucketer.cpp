#include "train/distributed/gradient_bucketer.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <unordered_set>
#include <utility>

#include "autograd/node.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp::train {

GradientBucketer::GradientBucketer(const std::vector<ag::Var>& parameters,
                                   std::shared_ptr<Communicator> comm, size_t bucket_bytes)
    : comm_(std::move(comm)) {
  SP_CHECK(comm_ != nullptr, "GradientBucketer: expected a communicator, got null");
  SP_CHECK(bucket_bytes > 0, "GradientBucketer: expected a positive bucket size, got ",
           bucket_bytes);
  for (const ag::Var& p : parameters)
    if (p.defined() && p.requires_grad()) {
      index_of_.emplace(p.impl().get(), params_.size());
      params_.push_back(p);
    }
  // One open bucket per (device, dtype); a bucket closes when it reaches bucket_bytes.
  std::map<std::pair<std::string, int>, size_t> open;
  bucket_of_.assign(params_.size(), 0);
  for (size_t k = params_.size(); k-- > 0;) {
    const Tensor& data = params_[k].data();
    SP_CHECK(is_floating(data.dtype()), "GradientBucketer: expected floating parameters, got ",
             data.meta(), " for '", params_[k].name(), "'");
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
    bucket_of_[k] = it->second;
    bucket.offsets.push_back(bucket.numel);
    bucket.numel += data.numel();
    if (size_t(bucket.numel) * size_of(bucket.dtype) >= bucket_bytes) open.erase(it);
  }
  reset_step();
}

std::vector<std::vector<size_t>> GradientBucketer::bucket_layout() const {
  std::vector<std::vector<size_t>> layout;
  for (const Bucket& b : buckets_) layout.push_back(b.params);
  return layout;
}

namespace {

// What one rank's backward from `loss` will reach: which of the parameters, and how
// many nodes and edges (a cheap signature of the graph's structure).
struct GraphSummary {
  std::vector<char> reached;
  int64_t nodes = 0;
  int64_t edges = 0;
};

GraphSummary summarize_graph(const ag::Var& loss,
                             const std::unordered_map<const ag::VarImpl*, size_t>& index_of,
                             size_t params) {
  GraphSummary s;
  s.reached.assign(params, 0);
  auto reach_leaf = [&](const ag::VarImpl* leaf) {
    auto it = index_of.find(leaf);
    if (it != index_of.end()) s.reached[it->second] = 1;
  };
  if (!loss.grad_fn()) {
    reach_leaf(loss.impl().get());
    return s;
  }
  std::unordered_set<const ag::Node*> seen{loss.grad_fn().get()};
  std::vector<const ag::Node*> stack{loss.grad_fn().get()};
  while (!stack.empty()) {
    const ag::Node* node = stack.back();
    stack.pop_back();
    ++s.nodes;
    for (const ag::Edge& e : node->edges()) {
      if (!e.needs_grad()) continue;
      ++s.edges;
      if (e.leaf) reach_leaf(e.leaf.get());
      if (e.node && seen.insert(e.node.get()).second) stack.push_back(e.node.get());
    }
  }
  return s;
}

// [reached per parameter..., nodes (8 bytes), edges (8 bytes)]: what ranks compare.
std::vector<uint8_t> encode(const GraphSummary& s) {
  std::vector<uint8_t> bytes(s.reached.begin(), s.reached.end());
  for (int64_t count : {s.nodes, s.edges}) {
    const auto* b = reinterpret_cast<const uint8_t*>(&count);
    bytes.insert(bytes.end(), b, b + sizeof(count));
  }
  return bytes;
}

}  // namespace

void GradientBucketer::reset_step() {
  in_step_ = false;
  overlap_ = false;
  ready_.assign(params_.size(), 0);
  not_ready_.resize(buckets_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) not_ready_[b] = buckets_[b].params.size();
  pending_.clear();
  pending_.resize(buckets_.size());
  next_start_ = 0;
  started_early_ = 0;
}

void GradientBucketer::prepare(const ag::Var& loss) {
  // A step abandoned by an exception (the job is ending anyway) leaves no state behind.
  reset_step();
  in_step_ = true;
  if (!reduces()) return;
  // Every rank's summary, as host bytes (over MPI, whatever the backend): the ranks agree
  // when all summaries are equal, and every rank decides from the same ones, so
  // identically.
  const std::vector<std::vector<uint8_t>> all =
      comm_->allgather_bytes(encode(summarize_graph(loss, index_of_, params_.size())));
  overlap_ = std::all_of(all.begin(), all.end(),
                         [&](const std::vector<uint8_t>& s) { return s == all.front(); });
  // Parameters no rank reaches get nothing more in this backward: ready now.
  for (size_t k = 0; k < params_.size(); ++k)
    if (std::none_of(all.begin(), all.end(),
                     [&](const std::vector<uint8_t>& s) { return s[k] != 0; }))
      mark_ready(k);
}

ag::LeafGradReadyHook GradientBucketer::hook() {
  return [this](const ag::Var& leaf) {
    auto it = index_of_.find(leaf.impl().get());
    if (it != index_of_.end()) mark_ready(it->second);
  };
}

void GradientBucketer::mark_ready(size_t index) {
  SP_CHECK(index < params_.size(),
           "GradientBucketer::mark_ready: expected a parameter index below ", params_.size(),
           ", got ", index);
  SP_CHECK(in_step_,
           "GradientBucketer::mark_ready: expected prepare(loss) first, got a call outside a step");
  SP_CHECK(!ready_[index], "GradientBucketer::mark_ready: expected one report per step for '",
           params_[index].name(), "', got a second; hint: call finish() after each backward");
  ready_[index] = 1;
  if (--not_ready_[bucket_of_[index]] == 0) start_ready_buckets();
}

void GradientBucketer::start_ready_buckets() {
  if (!overlap_ || !reduces()) return;
  while (next_start_ < buckets_.size() && not_ready_[next_start_] == 0) {
    start(next_start_++);
    ++started_early_;
  }
}

void GradientBucketer::start(size_t b) {
  Bucket& bucket = buckets_[b];
  const int64_t count = int64_t(bucket.params.size());
  if (!bucket.buffer.defined())
    bucket.buffer = empty({bucket.numel + count}, bucket.dtype, bucket.device);
  bucket.defined.assign(bucket.params.size(), 0);
  // The counts: 1 for every parameter (one fill, no host-to-device copy), 0 below for
  // those without a gradient here.
  Tensor counts = bucket.buffer.narrow(0, bucket.numel, count);
  fill_into(counts, 1.0);
  for (size_t i = 0; i < bucket.params.size(); ++i) {
    const ag::Var& p = params_[bucket.params[i]];
    Tensor slot = bucket.buffer.narrow(0, bucket.offsets[i], p.numel()).view(p.shape());
    if (p.grad().defined()) {
      SP_CHECK(p.grad().shape() == p.shape(), "GradientBucketer: expected the gradient of '",
               p.name(), "' to have shape ", p.shape(), ", got ", p.grad().shape());
      copy_into(slot, p.grad());
      bucket.defined[i] = 1;
    } else {
      fill_into(slot, 0.0);
      fill_into(counts.narrow(0, int64_t(i), 1), 0.0);
    }
  }
  pending_[b] = comm_->allreduce_sum_async(bucket.buffer);
}

void GradientBucketer::unpack(Bucket& bucket) {
  mul_(bucket.buffer, Scalar(1.0 / comm_->world_size()));
  for (size_t i = 0; i < bucket.params.size(); ++i) {
    ag::Var& p = params_[bucket.params[i]];
    Tensor averaged = bucket.buffer.narrow(0, bucket.offsets[i], p.numel()).view(p.shape());
    if (bucket.defined[i]) {
      copy_into(p.grad(), averaged);
      continue;
    }
    // Undefined here: read how many ranks had one (a device sync, only in this case).
    const double ranks_defined =
        bucket.buffer.narrow(0, bucket.numel + int64_t(i), 1).item<double>();
    if (ranks_defined > 0) p.set_grad(averaged.clone());
  }
}

void GradientBucketer::backward(const ag::Var& loss) {
  if (!reduces()) {
    ag::backward(loss);
    return;
  }
  prepare(loss);
  ag::backward(loss, {}, false, hook());
  finish();
}

void GradientBucketer::finish() {
  // A 1-rank MPI or NCCL run still goes through the collectives (so the GPU tests
  // exercise them with one GPU); only the single-process communicator skips them.
  if (!in_step_) reset_step();  // allreduce_gradients(): nothing started yet
  if (reduces()) {
    // The rest in index order; bucket b + 1 is packed while bucket b's all-reduce runs.
    while (next_start_ < buckets_.size()) start(next_start_++);
    for (size_t b = 0; b < buckets_.size(); ++b) {
      pending_[b]->wait();
      unpack(buckets_[b]);
    }
  }
  last_started_early_ = started_early_;
  last_overlapped_ = overlap_;
  reset_step();
}

}  // namespace sp::train
