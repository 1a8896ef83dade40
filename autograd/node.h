// Node: one recorded op in the graph. It knows its name (for errors and anomaly mode),
// the edges to the values it consumed, the metadata of its outputs, the tensors it
// saved for backward (plain Tensors, never Vars) and a backward function that maps the
// gradients of its outputs to one gradient per input (undefined = no gradient).
//
// Differentiable functions create nodes through make_result/make_results, which build
// nothing when grad mode is off or no input requires grad.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/var.h"
#include "tensor/tensor.h"

namespace sp::ag {

// Where the gradient of one node input goes: another node's output, or a leaf Var.
struct Edge {
  std::shared_ptr<Node> node;     // set for a non-leaf input
  int output_nr = 0;              // which output of `node`
  std::shared_ptr<VarImpl> leaf;  // set for a leaf that requires grad
  bool needs_grad() const { return node != nullptr || leaf != nullptr; }
};

struct TensorMeta {
  Shape shape;
  DType dtype = DType::F32;
  Device device;
};

// What a backward function receives.
struct BackwardArgs {
  const std::vector<Tensor>& grad_outputs;  // one per output, always defined
  const std::vector<Tensor>& saved;         // the tensors saved at forward time
  const std::vector<bool>& needs_input_grad;
  const std::vector<TensorMeta>& inputs;  // shape/dtype/device of each input
  const Tensor& grad() const { return grad_outputs[0]; }
  bool needs(size_t i) const { return needs_input_grad[i]; }
};
using BackwardFn = std::function<std::vector<Tensor>(const BackwardArgs&)>;

class Node {
 public:
  Node(std::string name, std::vector<Edge> edges, std::vector<TensorMeta> inputs,
       std::vector<TensorMeta> outputs, std::vector<Tensor> saved, BackwardFn fn);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<Edge>& edges() const { return edges_; }
  const std::vector<TensorMeta>& input_meta() const { return inputs_; }
  const std::vector<TensorMeta>& output_meta() const { return outputs_; }
  const std::vector<Tensor>& saved() const { return saved_; }
  size_t saved_bytes() const;
  bool released() const { return released_; }

  // Runs the backward function (throws if the graph was freed).
  std::vector<Tensor> apply(const std::vector<Tensor>& grad_outputs) const;
  // Frees saved tensors, the backward function and the edges (graph freed).
  void release();

 private:
  std::string name_;
  std::vector<Edge> edges_;
  std::vector<TensorMeta> inputs_;
  std::vector<TensorMeta> outputs_;
  std::vector<Tensor> saved_;
  BackwardFn fn_;
  bool released_ = false;
};

// Bytes of saved tensors held by live, unreleased nodes (all threads), and the peak since
// the last reset. Views count their own element bytes, so the figure is an upper bound.
size_t saved_tensor_bytes();
size_t peak_saved_tensor_bytes();
void reset_peak_saved_tensor_bytes();

// Wraps the outputs of a differentiable op. When grad mode is on and any input requires
// grad, records a Node named `name` whose backward is `fn`; otherwise the outputs are
// plain values. Undefined Vars in `inputs` are allowed (optional arguments).
Var make_result(const std::string& name, Tensor output, const std::vector<Var>& inputs,
                std::vector<Tensor> saved, BackwardFn fn);
std::vector<Var> make_results(const std::string& name, std::vector<Tensor> outputs,
                              const std::vector<Var>& inputs, std::vector<Tensor> saved,
                              BackwardFn fn);

// True when an op on these inputs would record a node.
bool any_requires_grad(const std::vector<Var>& inputs);

namespace detail {
// a + b for gradients (same shape); used only by the engine to accumulate.
Tensor accumulate(const Tensor& a, const Tensor& b);
// Throws naming `what` when t holds NaN or Inf (anomaly mode).
void check_finite(const Tensor& t, const std::string& what);
}  // namespace detail

}  // namespace sp::ag
