#include "nn/optim/optimizer.h"

#include <charconv>
#include <cmath>

#include "tensor/ops/creation.h"

namespace sp::nn::optim {

Optimizer::Optimizer(std::vector<ag::Var> params, double lr, const char* name)
    : params_(std::move(params)), lr_(lr), name_(name), state_(params_.size()) {
  SP_CHECK(!params_.empty(), name_, ": expected at least one parameter, got none");
  SP_CHECK(std::isfinite(lr) && lr >= 0, name_, ": expected a learning rate >= 0, got ", lr);
  for (size_t i = 0; i < params_.size(); ++i) {
    const ag::Var& p = params_[i];
    SP_CHECK(p.defined() && p.requires_grad() && p.is_leaf(), name_, ": expected parameter ", i,
             " to be a leaf with requires_grad, got ",
             p.defined() ? p.data().meta() : "an undefined Var");
    SP_CHECK(p.dtype() == DType::F32 || p.dtype() == DType::F64, name_,
             ": expected f32 or f64 parameter ", i, ", got ", p.dtype());
    SP_CHECK(p.data().is_contiguous(), name_, ": expected contiguous parameter ", i,
             ", got strides ", p.data().strides());
  }
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  SP_CHECK(std::isfinite(lr) && lr >= 0, name_, ": expected a learning rate >= 0, got ", lr);
  lr_ = lr;
}

std::vector<size_t> Optimizer::params_with_grad() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& g = params_[i].grad();
    if (!g.defined()) continue;
    const Tensor& p = params_[i].data();
    SP_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype() && g.device() == p.device(), name_,
             ": expected the grad of parameter ", i, " to match ", p.meta(), ", got ", g.meta());
    out.push_back(i);
  }
  return out;
}

std::map<std::string, Tensor> Optimizer::state_dict() const {
  std::map<std::string, Tensor> out;
  out["param_groups.0.lr"] = scalar_tensor(lr_, DType::F64);
  for (size_t i = 0; i < state_.size(); ++i)
    for (const auto& [name, t] : state_[i])
      if (t.defined()) out["state." + std::to_string(i) + "." + name] = t;
  return out;
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& state) {
  auto lr = state.find("param_groups.0.lr");
  SP_CHECK(lr != state.end() && lr->second.numel() == 1, name_,
           ": expected 'param_groups.0.lr' in the optimizer state, got ", state.size(),
           " entries without it");
  std::vector<std::map<std::string, Tensor>> loaded(params_.size());
  for (const auto& [key, t] : state) {
    if (key == "param_groups.0.lr") continue;
    size_t dot = key.find('.', 6);
    bool digits =
        dot != std::string::npos && dot > 6 && key.find_first_not_of("0123456789", 6) == dot;
    SP_CHECK(key.rfind("state.", 0) == 0 && digits, name_,
             ": expected optimizer state keys 'state.<i>.<name>', got '", key, "'");
    size_t i = 0;  // from_chars: std::stoul would throw std::out_of_range past 2^64
    const auto [end, ec] = std::from_chars(key.data() + 6, key.data() + dot, i);
    SP_CHECK(ec == std::errc() && end == key.data() + dot, name_,
             ": expected a parameter index in '", key, "', got one too large");
    std::string name = key.substr(dot + 1);
    SP_CHECK(i < params_.size(), name_, ": state '", key, "' names parameter ", i,
             ", but there are ", params_.size());
    const Tensor& p = params_[i].data();
    Tensor value = t;
    if (name != "step") {
      SP_CHECK(t.shape() == p.shape(), name_, ": expected '", key, "' of shape ", p.shape(),
               ", got ", t.shape());
      value = t.to(p.device(), p.dtype()).clone();
    } else {
      value = t.to(DType::I64).cpu().clone();
    }
    loaded[i][name] = value;
  }
  lr_ = lr->second.item<double>();
  state_ = std::move(loaded);
}

}  // namespace sp::nn::optim
