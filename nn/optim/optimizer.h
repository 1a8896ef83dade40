// Optimizer base: a list of parameters (autograd leaves), one learning rate, per-parameter
// state tensors, and a flat state_dict for checkpoints. The update rules themselves are
// multi-tensor functions on plain Tensors (param data, grad, state) in sgd.h / adam.h,
// so a fused CUDA kernel can replace the CPU loop without touching the classes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "autograd/var.h"
#include "tensor/tensor.h"

namespace sp::nn::optim {

class Optimizer {
 public:
  Optimizer(std::vector<ag::Var> params, double lr, const char* name);
  virtual ~Optimizer() = default;

  // One update from the parameters' current gradients; parameters without a gradient
  // are skipped (like PyTorch).
  virtual void step() = 0;
  // Drops every parameter's gradient.
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<ag::Var>& params() const { return params_; }

  // "param_groups.0.lr" (f64 scalar) and "state.<i>.<name>" per parameter i, in the
  // order the parameters were given. load_state_dict checks names, shapes and dtypes
  // before changing anything.
  std::map<std::string, Tensor> state_dict() const;
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  // The named state tensors of parameter i (e.g. "exp_avg"); undefined until created.
  Tensor& state(size_t i, const std::string& name) { return state_[i][name]; }
  // Checks every parameter with a grad and returns their indices.
  std::vector<size_t> params_with_grad() const;

  std::vector<ag::Var> params_;
  double lr_;
  const char* name_;
  std::vector<std::map<std::string, Tensor>> state_;
};

}  // namespace sp::nn::optim
