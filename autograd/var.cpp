#include "autograd/var.h"

#include "autograd/node.h"

namespace sp::ag {

Var::Var(Tensor data, bool requires_grad, std::string name) : impl_(std::make_shared<VarImpl>()) {
  check_defined(data, "Var");
  SP_CHECK(!requires_grad || is_floating(data.dtype()),
           "Var: expected a floating dtype for a value that requires grad, got ", data.dtype());
  impl_->data = std::move(data);
  impl_->requires_grad = requires_grad;
  impl_->name = std::move(name);
}

Var::Var(Tensor data, std::shared_ptr<Node> grad_fn, int output_nr)
    : impl_(std::make_shared<VarImpl>()) {
  impl_->data = std::move(data);
  impl_->requires_grad = true;
  impl_->grad_fn = std::move(grad_fn);
  impl_->output_nr = output_nr;
}

const Tensor& Var::data() const {
  SP_CHECK(impl_, "Var: expected a defined Var, got an undefined one");
  return impl_->data;
}

const Tensor& Var::grad() const {
  SP_CHECK(impl_, "Var: expected a defined Var, got an undefined one");
  return impl_->grad;
}

void Var::set_grad(Tensor grad) {
  SP_CHECK(impl_, "Var: expected a defined Var, got an undefined one");
  if (grad.defined())
    SP_CHECK(grad.shape() == impl_->data.shape(), "Var::set_grad: expected shape ",
             impl_->data.shape(), ", got ", grad.shape());
  impl_->grad = std::move(grad);
}

Var& Var::set_requires_grad(bool requires_grad) {
  SP_CHECK(impl_, "Var: expected a defined Var, got an undefined one");
  SP_CHECK(is_leaf(), "Var::set_requires_grad: expected a leaf, got the output of '", "op",
           "'; hint: use detach() to make a leaf");
  SP_CHECK(!requires_grad || is_floating(impl_->data.dtype()),
           "Var: expected a floating dtype for a value that requires grad, got ",
           impl_->data.dtype());
  impl_->requires_grad = requires_grad;
  return *this;
}

const std::shared_ptr<Node>& Var::grad_fn() const {
  static const std::shared_ptr<Node> none;
  return impl_ ? impl_->grad_fn : none;
}

const std::string& Var::name() const {
  static const std::string none;
  return impl_ ? impl_->name : none;
}

Var& Var::set_name(std::string name) {
  SP_CHECK(impl_, "Var: expected a defined Var, got an undefined one");
  impl_->name = std::move(name);
  return *this;
}

Var Var::detach() const {
  return Var(data(), false, name());
}

void Var::zero_grad() {
  if (impl_) impl_->grad = Tensor();
}

}  // namespace sp::ag
