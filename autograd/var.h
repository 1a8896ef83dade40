// Var: a Tensor that takes part in reverse-mode differentiation. A Var is a shared
// handle (copying it copies the handle): data, the accumulated grad, requires_grad,
// and the Node that produced it (null for leaves and for values made without a graph).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "tensor/tensor.h"

namespace sp::ag {

class Node;

struct VarImpl {
  Tensor data;
  Tensor grad;  // undefined until a backward pass reaches this leaf
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // null for leaves
  int output_nr = 0;              // which output of grad_fn this value is
  std::string name;               // optional, used in error messages
};

class Var {
 public:
  Var() = default;  // undefined
  // A leaf holding `data` (shared, not copied).
  explicit Var(Tensor data, bool requires_grad = false, std::string name = {});
  // A non-leaf output of `grad_fn` (made by make_result in node.h).
  Var(Tensor data, std::shared_ptr<Node> grad_fn, int output_nr);
  // Another handle to an existing value (what backward's hooks receive).
  explicit Var(std::shared_ptr<VarImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const Tensor& data() const;
  const Tensor& grad() const;
  void set_grad(Tensor grad);
  bool requires_grad() const { return impl_ && impl_->requires_grad; }
  // Only leaves may change it (like PyTorch's requires_grad_()).
  Var& set_requires_grad(bool requires_grad);
  const std::shared_ptr<Node>& grad_fn() const;
  int output_nr() const { return impl_ ? impl_->output_nr : 0; }
  bool is_leaf() const { return !impl_ || impl_->grad_fn == nullptr; }
  const std::string& name() const;
  Var& set_name(std::string name);

  // Shorthands for the data.
  const Shape& shape() const { return data().shape(); }
  int dim() const { return data().dim(); }
  int64_t size(int64_t d) const { return data().size(d); }
  int64_t numel() const { return data().numel(); }
  DType dtype() const { return data().dtype(); }
  Device device() const { return data().device(); }
  template <typename T>
  T item() const {
    return data().item<T>();
  }

  // A new leaf sharing this value's data, outside the graph.
  Var detach() const;
  // Drops the accumulated gradient (the next backward starts from nothing).
  void zero_grad();

  const std::shared_ptr<VarImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<VarImpl> impl_;
};

// Reverse-mode pass from `loss`. `grad` is d(objective)/d(loss); it may be left
// undefined when loss has one element (then it is 1). Leaf gradients accumulate across
// calls (like PyTorch); call zero_grad() between steps. The graph is freed afterwards
// unless retain_graph is true, and a second backward through a freed graph throws.
void backward(const Var& loss, const Tensor& grad = {}, bool retain_graph = false);

// Told when a leaf's gradient is final within one backward call: the engine calls it
// once per leaf that backward reaches, right after the leaf's last contribution of this
// call has been accumulated into grad() (a leaf used several times fires once, after
// all of them; its grad may stay undefined if every contribution was undefined). Leaves
// not reached do not fire. Runs on the calling thread in grad-disabled mode; an
// exception it throws ends backward and propagates. Data-parallel training starts a
// gradient bucket's all-reduce from here (train/distributed/gradient_bucketer.h).
using LeafGradReadyHook = std::function<void(const Var& leaf)>;
void backward(const Var& loss, const Tensor& grad, bool retain_graph,
              const LeafGradReadyHook& on_leaf_ready);

}  // namespace sp::ag
