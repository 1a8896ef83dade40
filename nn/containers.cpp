#include "nn/containers.h"

#include "nn/conv_batch_norm.h"

namespace sp::nn {

Sequential::Sequential(std::vector<std::shared_ptr<UnaryModule>> layers)
    : UnaryModule("Sequential") {
  for (auto& layer : layers) push_back(std::move(layer));
}

void Sequential::replace_child(const std::string& name, std::shared_ptr<Module> module) {
  auto layer = std::dynamic_pointer_cast<UnaryModule>(module);
  SP_CHECK(layer != nullptr, "Sequential: expected a UnaryModule to replace layer '", name, "'");
  Module::replace_child(name, module);
  layers_[std::stoul(name)] = std::move(layer);
}

Sequential& Sequential::push_back(std::shared_ptr<UnaryModule> layer) {
  add_child(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
  return *this;
}

UnaryModule& Sequential::operator[](size_t i) const {
  SP_CHECK(i < layers_.size(), "Sequential: expected an index below ", layers_.size(), ", got ", i);
  return *layers_[i];
}

ag::Var Sequential::forward(const ag::Var& x) {
  ag::Var y = x;
  for (size_t i = 0; i < layers_.size();) {
    // Conv2d, BatchNorm2d (, ReLU) at inference: one convolution and one in-place pass.
    if (size_t folded = forward_folded_conv_batch_norm(layers_, i, y)) {
      i += folded;
      continue;
    }
    y = layers_[i++]->forward(y);
  }
  return y;
}

}  // namespace sp::nn
