#include "nn/module.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "nn/checkpoint.h"
#include "nn/pth.h"
#include "tensor/ops/copy.h"

namespace sp::nn {
namespace {

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

template <typename V>
std::string names_of(const std::vector<std::pair<std::string, V>>& items) {
  std::string out;
  for (const auto& [n, v] : items) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::string list(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t k = 0; k < keys.size() && k < 10; ++k) out += (k ? ", " : "") + keys[k];
  if (keys.size() > 10) out += ", ... (" + std::to_string(keys.size()) + " in all)";
  return out;
}

}  // namespace

void Module::check_new_name(const std::string& name) const {
  SP_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name_,
           ": expected a member name without '.', got '", name, "'");
  auto taken = [&](const auto& items) {
    return std::any_of(items.begin(), items.end(),
                       [&](const auto& it) { return it.first == name; });
  };
  SP_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), type_name_, ": member '", name,
           "' is already registered");
}

ag::Var& Module::register_parameter(const std::string& name, Tensor data, bool requires_grad) {
  check_new_name(name);
  check_defined(data, "register_parameter");
  params_.emplace_back(name, ag::Var(std::move(data), requires_grad, name));
  return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor data) {
  check_new_name(name);
  check_defined(data, "register_buffer");
  buffers_.emplace_back(name, std::move(data));
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  SP_CHECK(module != nullptr, type_name_, ": expected a module for '", name, "', got null");
  children_.emplace_back(name, std::move(module));
}

void Module::replace_child(const std::string& name, std::shared_ptr<Module> module) {
  SP_CHECK(module != nullptr, type_name_, ": expected a module to replace '", name, "', got null");
  for (auto& [n, child] : children_)
    if (n == name) {
      child = std::move(module);
      return;
    }
  SP_CHECK(false, type_name_, ": expected a child named '", name, "' to replace, got none");
}

void Module::collect(const std::string& prefix,
                     std::vector<std::pair<std::string, ag::Var>>* params,
                     std::vector<std::pair<std::string, Tensor*>>* buffers) {
  if (params)
    for (auto& [n, v] : params_) params->emplace_back(join(prefix, n), v);
  if (buffers)
    for (auto& [n, t] : buffers_) buffers->emplace_back(join(prefix, n), &t);
  for (auto& [n, child] : children_) child->collect(join(prefix, n), params, buffers);
}

std::vector<std::pair<std::string, ag::Var>> Module::named_parameters() const {
  std::vector<std::pair<std::string, ag::Var>> out;
  const_cast<Module*>(this)->collect("", &out, nullptr);
  return out;
}

std::vector<ag::Var> Module::parameters() const {
  std::vector<ag::Var> out;
  for (auto& [n, v] : named_parameters()) out.push_back(v);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor*>> ptrs;
  const_cast<Module*>(this)->collect("", nullptr, &ptrs);
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& [n, t] : ptrs) out.emplace_back(n, *t);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out{{"", this}};
  for (auto& [n, child] : children_)
    for (auto& [sub, m] : child->named_modules())
      out.emplace_back(sub.empty() ? n : n + "." + sub, m);
  return out;
}

bool Module::has_param(const std::string& name) const {
  return std::any_of(params_.begin(), params_.end(),
                     [&](const auto& p) { return p.first == name; });
}

ag::Var& Module::param(const std::string& name) {
  for (auto& [n, v] : params_)
    if (n == name) return v;
  SP_FAIL(type_name_, ": expected a parameter '", name, "', got only ", names_of(params_));
}
const ag::Var& Module::param(const std::string& name) const {
  return const_cast<Module*>(this)->param(name);
}

Tensor& Module::buffer(const std::string& name) {
  for (auto& [n, t] : buffers_)
    if (n == name) return t;
  SP_FAIL(type_name_, ": expected a buffer '", name, "', got only ", names_of(buffers_));
}
const Tensor& Module::buffer(const std::string& name) const {
  return const_cast<Module*>(this)->buffer(name);
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, child] : children_) child->train(on);
}

void Module::to(Device device) {
  std::vector<std::pair<std::string, ag::Var>> params;
  std::vector<std::pair<std::string, Tensor*>> buffers;
  collect("", &params, &buffers);
  for (auto& [n, v] : params) {
    v.impl()->data = v.data().to(device);
    if (v.grad().defined()) v.impl()->grad = v.grad().to(device);
  }
  for (auto& [n, t] : buffers) *t = t->to(device);
}

void Module::to(DType dtype) {
  SP_CHECK(is_floating(dtype), type_name_, ": expected a floating dtype for to(dtype), got ",
           dtype);
  std::vector<std::pair<std::string, ag::Var>> params;
  std::vector<std::pair<std::string, Tensor*>> buffers;
  collect("", &params, &buffers);
  for (auto& [n, v] : params)
    if (is_floating(v.dtype())) {
      v.impl()->data = v.data().to(dtype);
      if (v.grad().defined()) v.impl()->grad = v.grad().to(dtype);
    }
  for (auto& [n, t] : buffers)
    if (is_floating(t->dtype())) *t = t->to(dtype);
}

void Module::zero_grad() {
  for (auto& v : parameters()) v.zero_grad();
}

void Module::requires_grad_(bool on) {
  for (auto& v : parameters()) v.set_requires_grad(on);
}

TensorMap Module::state_dict() const {
  TensorMap out;
  for (auto& [n, v] : named_parameters()) out[n] = v.data();
  for (auto& [n, t] : named_buffers()) out[n] = t;
  return out;
}

LoadResult Module::load_state_dict(const TensorMap& state, bool strict, const std::string& source) {
  const std::string where = source.empty() ? "" : " from " + source;
  std::vector<std::pair<std::string, ag::Var>> params;
  std::vector<std::pair<std::string, Tensor*>> buffers;
  collect("", &params, &buffers);
  std::vector<std::pair<std::string, Tensor>> targets;
  for (auto& [n, v] : params) targets.emplace_back(n, v.data());
  for (auto& [n, t] : buffers) targets.emplace_back(n, *t);

  LoadResult result;
  std::set<std::string> known;
  for (auto& [n, t] : targets) {
    known.insert(n);
    auto it = state.find(n);
    if (it == state.end()) {
      result.missing_keys.push_back(n);
      continue;
    }
    SP_CHECK(it->second.defined() && it->second.shape() == t.shape(), type_name_,
             ": load_state_dict", where, ": expected '", n, "' of shape ", t.shape(), ", got ",
             it->second.defined() ? it->second.shape().str() : "an undefined tensor");
  }
  for (auto& [n, t] : state)
    if (!known.count(n)) result.unexpected_keys.push_back(n);
  SP_CHECK(!strict || result.missing_keys.empty(), type_name_, ": load_state_dict", where,
           ": expected every key, ", "missing ", list(result.missing_keys));
  SP_CHECK(!strict || result.unexpected_keys.empty(), type_name_, ": load_state_dict", where,
           ": expected only the module's keys, got unexpected ", list(result.unexpected_keys));
  // Everything checked: copy in place (dtype and device converted by copy_into).
  for (auto& [n, t] : targets) {
    auto it = state.find(n);
    if (it != state.end()) copy_into(t, it->second);
  }
  return result;
}

std::string Module::str() const {
  std::ostringstream out;
  out << type_name_ << "\n";
  for (auto& [n, v] : named_parameters()) out << "  " << n << " " << v.data().meta() << "\n";
  for (auto& [n, t] : named_buffers()) out << "  " << n << " " << t.meta() << " (buffer)\n";
  return out.str();
}

LoadResult load_weights(Module& module, const std::string& path, bool strict,
                        const std::string& select) {
  // sp HDF5 (state_dict file or checkpoint) by its signature; anything else is read as
  // torch.save output (.pth, .pt, .pth.tar checkpoints wrapping a state_dict).
  TensorMap state = is_hdf5_file(path)
                        ? load_state_dict_file(path)
                        : load_pth_weights(path, {.select = select, .strip_prefix = ""});
  return module.load_state_dict(state, strict, path);
}

}  // namespace sp::nn
