#include "autograd/node.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::ag {
namespace {

std::atomic<size_t> g_saved_bytes{0};
std::atomic<size_t> g_peak_saved_bytes{0};

size_t bytes_of(const std::vector<Tensor>& tensors) {
  size_t n = 0;
  for (const Tensor& t : tensors)
    if (t.defined()) n += t.nbytes();
  return n;
}

void add_saved_bytes(size_t n) {
  size_t now = g_saved_bytes.fetch_add(n) + n;
  size_t peak = g_peak_saved_bytes.load();
  while (now > peak && !g_peak_saved_bytes.compare_exchange_weak(peak, now)) {
  }
}

TensorMeta meta_of(const Tensor& t) {
  return {t.shape(), t.dtype(), t.device()};
}

}  // namespace

size_t saved_tensor_bytes() {
  return g_saved_bytes.load();
}
size_t peak_saved_tensor_bytes() {
  return g_peak_saved_bytes.load();
}
void reset_peak_saved_tensor_bytes() {
  g_peak_saved_bytes.store(g_saved_bytes.load());
}

Node::Node(std::string name, std::vector<Edge> edges, std::vector<TensorMeta> inputs,
           std::vector<TensorMeta> outputs, std::vector<Tensor> saved, BackwardFn fn)
    : name_(std::move(name)),
      edges_(std::move(edges)),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)),
      saved_(std::move(saved)),
      fn_(std::move(fn)) {
  add_saved_bytes(bytes_of(saved_));
}

Node::~Node() {
  release();
}

size_t Node::saved_bytes() const {
  return bytes_of(saved_);
}

std::vector<Tensor> Node::apply(const std::vector<Tensor>& grad_outputs) const {
  SP_CHECK(
      !released_, "backward: expected a live graph at '", name_,
      "', got one already freed by an earlier backward; hint: pass retain_graph=true to the first "
      "backward to call it twice");
  std::vector<bool> needs(edges_.size());
  for (size_t i = 0; i < edges_.size(); ++i) needs[i] = edges_[i].needs_grad();
  BackwardArgs args{grad_outputs, saved_, needs, inputs_};
  std::vector<Tensor> grads = fn_(args);
  SP_ASSERT(grads.size() == edges_.size(), "backward of ", name_, " returned ", grads.size(),
            " gradients for ", edges_.size(), " inputs");
  return grads;
}

void Node::release() {
  if (released_) return;
  released_ = true;
  g_saved_bytes.fetch_sub(bytes_of(saved_));
  saved_.clear();
  saved_.shrink_to_fit();
  fn_ = nullptr;
  // Dropping the edges frees the part of the graph only this node kept alive.
  edges_.clear();
}

bool any_requires_grad(const std::vector<Var>& inputs) {
  if (!grad_enabled()) return false;
  for (const Var& v : inputs)
    if (v.requires_grad()) return true;
  return false;
}

std::vector<Var> make_results(const std::string& name, std::vector<Tensor> outputs,
                              const std::vector<Var>& inputs, std::vector<Tensor> saved,
                              BackwardFn fn) {
  if (anomaly_enabled())
    for (const Tensor& t : outputs)
      detail::check_finite(t, "anomaly: op '" + name + "' produced NaN/Inf in its output");
  std::vector<Var> results;
  results.reserve(outputs.size());
  if (!any_requires_grad(inputs)) {
    for (Tensor& t : outputs) results.emplace_back(std::move(t));
    return results;
  }
  std::vector<Edge> edges(inputs.size());
  std::vector<TensorMeta> input_meta(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Var& v = inputs[i];
    if (!v.defined()) continue;
    input_meta[i] = meta_of(v.data());
    if (!v.requires_grad()) continue;
    if (v.grad_fn())
      edges[i] = Edge{v.grad_fn(), v.output_nr(), nullptr};
    else
      edges[i] = Edge{nullptr, 0, v.impl()};
  }
  std::vector<TensorMeta> output_meta;
  for (const Tensor& t : outputs) output_meta.push_back(meta_of(t));
  auto node = std::make_shared<Node>(name, std::move(edges), std::move(input_meta),
                                     std::move(output_meta), std::move(saved), std::move(fn));
  for (size_t i = 0; i < outputs.size(); ++i)
    results.emplace_back(std::move(outputs[i]), node, int(i));
  return results;
}

Var make_result(const std::string& name, Tensor output, const std::vector<Var>& inputs,
                std::vector<Tensor> saved, BackwardFn fn) {
  std::vector<Tensor> outputs;
  outputs.push_back(std::move(output));
  return make_results(name, std::move(outputs), inputs, std::move(saved), std::move(fn))[0];
}

namespace detail {

void check_finite(const Tensor& t, const std::string& what) {
  if (!t.defined() || !is_floating(t.dtype())) return;
  std::vector<double> values = t.to(DType::F64).cpu().to_vector<double>();
  for (size_t i = 0; i < values.size(); ++i)
    SP_CHECK(std::isfinite(values[i]), what, " (element ", i, " of ", t.meta(), " is ", values[i],
             ")");
}

}  // namespace detail
}  // namespace sp::ag
