// The backward engine: iterative topological order (Kahn's algorithm over dependency
// counts, no recursion), gradients of reused values summed here and only here.
// With a LeafGradReadyHook the dependency pass also counts the edges into each leaf, and
// the hook runs when a leaf's count drops to zero (its last contribution accumulated).
#include <unordered_map>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/var.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"
#include "tensor/ops/elementwise.h"

namespace sp::ag {
namespace {

bool is_sole_dense_owner(const Tensor& t) {
  return t.is_contiguous() && t.offset() == 0 && t.storage().use_count() == 1;
}

// Adds g into a leaf's grad. A fresh leaf grad is a dense tensor of its own, so that
// optimizers may update it in place without touching another value.
void accumulate_into_leaf(VarImpl& leaf, const Tensor& g) {
  Tensor grad = g.to(leaf.data.dtype());
  if (!leaf.grad.defined())
    leaf.grad = is_sole_dense_owner(grad) ? grad : grad.clone();
  else
    leaf.grad = detail::accumulate(leaf.grad, grad);
}

void check_grad_meta(const Tensor& g, const TensorMeta& meta, const Node& node, size_t input) {
  SP_ASSERT(g.shape() == meta.shape, "backward of ", node.name(), " returned a gradient of shape ",
            g.shape(), " for input ", input, " of shape ", meta.shape);
}

}  // namespace

void backward(const Var& loss, const Tensor& grad, bool retain_graph) {
  backward(loss, grad, retain_graph, LeafGradReadyHook());
}

void backward(const Var& loss, const Tensor& grad, bool retain_graph,
              const LeafGradReadyHook& on_leaf_ready) {
  SP_CHECK(loss.defined(), "backward: expected a defined Var, got an undefined one");
  SP_CHECK(loss.requires_grad(), "backward: expected a value that requires grad, got ",
           loss.data().meta(),
           " that does not; hint: was it computed under NoGradGuard or from inputs without "
           "requires_grad?");
  Tensor seed = grad;
  if (!seed.defined()) {
    SP_CHECK(loss.numel() == 1, "backward: expected a one-element loss when no grad is given, got ",
             loss.shape(), "; hint: pass the gradient of the objective w.r.t. this value");
    seed = ones_like(loss.data());
  }
  SP_CHECK(seed.shape() == loss.shape(), "backward: expected grad of shape ", loss.shape(),
           ", got ", seed.shape());
  seed = seed.to(loss.device(), loss.dtype());
  NoGradGuard no_grad;  // backward functions use tensor ops only; nothing is recorded

  if (!loss.grad_fn()) {
    accumulate_into_leaf(*loss.impl(), seed);
    if (on_leaf_ready) on_leaf_ready(loss);
    return;
  }
  std::shared_ptr<Node> root = loss.grad_fn();

  // Dependencies: how many edges from reachable nodes point at each node.
  std::unordered_map<Node*, int> dependencies;
  // Only with a hook: edges from reachable nodes into each leaf, counted down below.
  std::unordered_map<VarImpl*, int> leaf_pending;
  std::vector<Node*> stack{root.get()};
  dependencies[root.get()] = 0;
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    SP_CHECK(!node->released(), "backward: expected a live graph at '", node->name(),
             "', got one already freed by an earlier backward; hint: pass retain_graph=true to the "
             "first "
             "backward to call it twice");
    for (const Edge& e : node->edges()) {
      if (on_leaf_ready && e.leaf) ++leaf_pending[e.leaf.get()];
      if (!e.node) continue;
      auto [it, inserted] = dependencies.try_emplace(e.node.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(e.node.get());
    }
  }

  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  buffers[root.get()].resize(root->output_meta().size());
  buffers[root.get()][loss.output_nr()] = seed;
  // Keeps nodes alive while they wait, even if release() dropped the last edge to them.
  std::unordered_map<Node*, std::shared_ptr<Node>> keep_alive;
  std::vector<std::shared_ptr<Node>> ready{root};
  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.back());
    ready.pop_back();
    std::vector<Tensor> grad_outputs = std::move(buffers[node.get()]);
    buffers.erase(node.get());
    keep_alive.erase(node.get());
    grad_outputs.resize(node->output_meta().size());
    for (size_t i = 0; i < grad_outputs.size(); ++i) {
      if (grad_outputs[i].defined()) continue;
      const TensorMeta& m = node->output_meta()[i];
      grad_outputs[i] = zeros(m.shape, m.dtype, m.device);
    }
    std::vector<Tensor> grads = node->apply(grad_outputs);
    std::vector<Edge> edges = node->edges();
    if (!retain_graph) node->release();
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      if (!e.needs_grad()) continue;
      Tensor& g = grads[i];
      if (g.defined()) {
        check_grad_meta(g, node->input_meta()[i], *node, i);
        if (anomaly_enabled())
          detail::check_finite(g, "anomaly: backward of op '" + node->name() +
                                      "' produced NaN/Inf in the gradient of input " +
                                      std::to_string(i));
      }
      if (e.leaf) {
        if (g.defined()) accumulate_into_leaf(*e.leaf, g);
        if (on_leaf_ready && --leaf_pending[e.leaf.get()] == 0) on_leaf_ready(Var(e.leaf));
        continue;
      }
      Node* next = e.node.get();
      if (g.defined()) {
        std::vector<Tensor>& buffer = buffers[next];
        buffer.resize(next->output_meta().size());
        Tensor& slot = buffer[e.output_nr];
        slot = slot.defined() ? detail::accumulate(slot, g) : g;
      }
      keep_alive.try_emplace(next, e.node);
      if (--dependencies[next] == 0) ready.push_back(keep_alive[next]);
    }
  }
}

}  // namespace sp::ag

namespace sp::ag::detail {

Tensor accumulate(const Tensor& a, const Tensor& b) {
  SP_ASSERT(a.shape() == b.shape(), "accumulate: shapes ", a.shape(), " and ", b.shape());
  return sp::add(a, b);
}

}  // namespace sp::ag::detail
