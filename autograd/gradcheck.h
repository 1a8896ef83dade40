// gradcheck: compares the analytic gradients of a function (from the engine) with
// central differences, in f64. The function may return any shape; it is reduced to a
// scalar as sum(output * r) with fixed pseudo-random weights r, so every output element
// is checked. Inputs should be f64 and kept away from kinks (|x| not near 0 for relu...).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/var.h"

namespace sp::ag {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  // Which inputs get gradients; empty = every floating input.
  std::vector<bool> requires_grad;
};

struct GradcheckResult {
  bool ok = true;
  int worst_input = -1;        // input holding the worst element (-1: nothing checked)
  int64_t worst_element = -1;  // its flat index, row-major
  double analytic = 0;
  double numeric = 0;
  double error = 0;  // |analytic - numeric| / (atol + rtol * |numeric|); > 1 fails
  int64_t elements_checked = 0;
  std::string message;  // one line describing the worst element
};

using GradcheckFn = std::function<Var(const std::vector<Var>&)>;

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace sp::ag
