// nn::Module: named parameters (autograd leaves), buffers (plain Tensors) and
// submodules, with PyTorch's dotted names ("conv1a.weight", "bn1.running_mean"),
// train/eval mode, device moves and state_dict load/save.
//
// Parameters are ag::Var handles: moving a module or loading a state_dict replaces the
// data inside the same Var, so optimizers built earlier keep working.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/var.h"
#include "tensor/tensor.h"

namespace sp::nn {

using TensorMap = std::map<std::string, Tensor>;

struct LoadResult {
  std::vector<std::string> missing_keys;     // in the module, not in the state
  std::vector<std::string> unexpected_keys;  // in the state, not in the module
};

class Module {
 public:
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::string& type_name() const { return type_name_; }

  // ---- traversal (registration order, like PyTorch)
  std::vector<std::pair<std::string, ag::Var>> named_parameters() const;
  std::vector<ag::Var> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }
  // This module ("") and every descendant with its dotted path.
  std::vector<std::pair<std::string, Module*>> named_modules();
  // Swaps the direct child `name` for `module` (BatchNorm2d -> SyncBatchNorm for
  // data-parallel training). Containers that keep typed pointers override it.
  virtual void replace_child(const std::string& name, std::shared_ptr<Module> module);

  // Direct members by name; throw naming the module type and the names present.
  ag::Var& param(const std::string& name);
  const ag::Var& param(const std::string& name) const;
  Tensor& buffer(const std::string& name);
  const Tensor& buffer(const std::string& name) const;
  bool has_param(const std::string& name) const;

  // ---- modes and devices
  // Recursive. Virtual so that a module can keep parts fixed (frozen batch norm, a frozen
  // extractor inside a pipeline); an override repeats the default argument.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves every parameter and buffer (recursive). Parameters keep their Var identity.
  void to(Device device);
  // Converts floating parameters and buffers (integer buffers such as
  // num_batches_tracked keep their dtype).
  void to(DType dtype);
  void zero_grad();
  // Sets requires_grad on every parameter (freezing a backbone, for instance).
  void requires_grad_(bool on);

  // ---- state
  // Parameters (their data) and buffers, by dotted name. Tensors are shared, not copied.
  TensorMap state_dict() const;
  // Copies `state` into the parameters and buffers (converting dtype/device to the
  // module's). Every shape is checked before anything changes. strict: missing or
  // unexpected keys are errors. `source` (a file name) is named in errors.
  LoadResult load_state_dict(const TensorMap& state, bool strict = true,
                             const std::string& source = "");

  // A one-line-per-module summary with parameter shapes.
  std::string str() const;

 protected:
  ag::Var& register_parameter(const std::string& name, Tensor data, bool requires_grad = true);
  Tensor& register_buffer(const std::string& name, Tensor data);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, std::vector<std::pair<std::string, ag::Var>>* params,
               std::vector<std::pair<std::string, Tensor*>>* buffers);

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, ag::Var>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// Loads a state_dict from a file into a module: .pth (torch.save, via PthOptions-like
// `select`, e.g. "state_dict") or sp HDF5 (state_dict file or checkpoint).
LoadResult load_weights(Module& module, const std::string& path, bool strict = true,
                        const std::string& select = "");

}  // namespace sp::nn
