// Modules with one input and one output (layers), and the containers Sequential and
// ModuleList, whose children are named "0", "1", ... as in PyTorch.
#pragma once

#include <memory>
#include <vector>

#include "nn/module.h"

namespace sp::nn {

class UnaryModule : public Module {
 public:
  using Module::Module;
  virtual ag::Var forward(const ag::Var& x) = 0;
  ag::Var operator()(const ag::Var& x) { return forward(x); }
};

class Sequential : public UnaryModule {
 public:
  Sequential() : UnaryModule("Sequential") {}
  explicit Sequential(std::vector<std::shared_ptr<UnaryModule>> layers);
  Sequential& push_back(std::shared_ptr<UnaryModule> layer);
  size_t size() const { return layers_.size(); }
  UnaryModule& operator[](size_t i) const;
  ag::Var forward(const ag::Var& x) override;  // applies the layers in order
  void replace_child(const std::string& name, std::shared_ptr<Module> module) override;

 private:
  std::vector<std::shared_ptr<UnaryModule>> layers_;
};

template <typename M = Module>
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  ModuleList& push_back(std::shared_ptr<M> module) {
    add_child(std::to_string(items_.size()), module);
    items_.push_back(std::move(module));
    return *this;
  }
  void replace_child(const std::string& name, std::shared_ptr<Module> module) override {
    auto typed = std::dynamic_pointer_cast<M>(module);
    SP_CHECK(typed != nullptr, "ModuleList: expected a replacement of the item type for '", name,
             "'");
    Module::replace_child(name, module);
    items_[std::stoul(name)] = std::move(typed);
  }
  size_t size() const { return items_.size(); }
  M& operator[](size_t i) const {
    SP_CHECK(i < items_.size(), "ModuleList: expected an index below ", items_.size(), ", got ", i);
    return *items_[i];
  }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::shared_ptr<M>> items_;
};

}  // namespace sp::nn
