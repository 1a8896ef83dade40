#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/grad_mode.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::ag {
namespace {

std::vector<double> host_values(const Tensor& t) {
  return t.to(DType::F64).cpu().to_vector<double>();
}

// Fixed weights in [-1.5, -0.5] U [0.5, 1.5] (a small LCG: deterministic everywhere).
std::vector<double> projection_weights(int64_t n) {
  std::vector<double> r(static_cast<size_t>(n));
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (double& v : r) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    double u = double(state >> 11) / double(1ull << 53);
    v = (u < 0.5 ? -1.0 : 1.0) * (0.5 + 2.0 * std::fabs(u - 0.5));
  }
  return r;
}

double projected(const Var& out, const std::vector<double>& r) {
  std::vector<double> v = host_values(out.data());
  SP_CHECK(v.size() == r.size(), "gradcheck: expected the function to return ", r.size(),
           " elements every call, got ", v.size());
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += v[i] * r[i];
  return s;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  std::vector<bool> wants = options.requires_grad;
  if (wants.empty())
    for (const Tensor& t : inputs) wants.push_back(is_floating(t.dtype()));
  SP_CHECK(wants.size() == inputs.size(), "gradcheck: expected ", inputs.size(),
           " requires_grad flags, got ", wants.size());

  // Analytic: one backward of sum(out * r).
  EnableGradGuard grad_on;
  std::vector<Var> vars;
  for (size_t i = 0; i < inputs.size(); ++i) vars.emplace_back(inputs[i], bool(wants[i]));
  Var out = fn(vars);
  std::vector<double> r = projection_weights(out.numel());
  bool any_input = false;
  for (bool w : wants) any_input = any_input || w;
  if (out.requires_grad())
    backward(out, from_vector(r, out.shape()).to(out.device(), out.dtype()));
  else
    SP_CHECK(!any_input, "gradcheck: expected the output to require grad, got one that does not");

  GradcheckResult result;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!wants[i]) continue;
    const Tensor& x = inputs[i];
    std::vector<double> analytic = vars[i].grad().defined()
                                       ? host_values(vars[i].grad())
                                       : std::vector<double>(size_t(x.numel()), 0.0);
    std::vector<double> base = host_values(x);
    for (int64_t k = 0; k < x.numel(); ++k) {
      auto eval_at = [&](double value) {
        std::vector<double> moved = base;
        moved[size_t(k)] = value;
        std::vector<Var> args = vars;
        args[i] = Var(from_vector(moved, x.shape()).to(x.device(), x.dtype()));
        NoGradGuard no_grad;
        return projected(fn(args), r);
      };
      double numeric =
          (eval_at(base[size_t(k)] + options.eps) - eval_at(base[size_t(k)] - options.eps)) /
          (2 * options.eps);
      double a = analytic[size_t(k)];
      double error = std::fabs(a - numeric) / (options.atol + options.rtol * std::fabs(numeric));
      if (std::isnan(error)) error = INFINITY;
      ++result.elements_checked;
      if (result.worst_input < 0 || error > result.error) {
        result.worst_input = int(i);
        result.worst_element = k;
        result.analytic = a;
        result.numeric = numeric;
        result.error = error;
      }
    }
  }
  result.ok = result.error <= 1.0;
  std::ostringstream msg;
  if (result.worst_input < 0)
    msg << "gradcheck: no input requires grad";
  else
    msg << "gradcheck " << (result.ok ? "passed" : "FAILED") << ": worst at input "
        << result.worst_input << " element " << result.worst_element << ": analytic "
        << result.analytic << " vs numeric " << result.numeric << " (error " << result.error
        << " of tolerance; " << result.elements_checked << " elements checked)";
  result.message = msg.str();
  return result;
}

}  // namespace sp::ag
