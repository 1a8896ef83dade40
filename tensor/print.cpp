// Printing tensors, PyTorch-like: nested brackets, summarised when large.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "tensor/dispatch.h"
#include "tensor/tensor.h"

namespace sp {

namespace {
constexpr int64_t kEdge = 3;          // elements shown at each end of a long dim
constexpr int64_t kSummarise = 1000;  // summarise tensors with more elements

void print_value(std::ostream& os, double v, bool floating) {
  if (!floating) {
    os << int64_t(v);
  } else if (std::isnan(v) || std::isinf(v)) {
    os << v;
  } else {
    os << std::setprecision(4) << v;
  }
}

void print_rec(std::ostream& os, const Tensor& host, const std::vector<double>& vals, int dim,
               int64_t offset, bool summarise, int indent) {
  const Shape& s = host.shape();
  const Strides st = contiguous_strides(s);
  const bool floating = is_floating(host.dtype());
  os << '[';
  for (int64_t i = 0; i < s[dim]; ++i) {
    if (summarise && s[dim] > 2 * kEdge && i == kEdge) {
      os << (dim + 1 == s.rank() ? "..., " : "...,\n" + std::string(indent + 1, ' '));
      i = s[dim] - kEdge;
    }
    if (dim + 1 == s.rank()) {
      print_value(os, vals[offset + i], floating);
    } else {
      print_rec(os, host, vals, dim + 1, offset + i * st[dim], summarise, indent + 1);
    }
    if (i + 1 < s[dim]) os << (dim + 1 == s.rank() ? ", " : ",\n" + std::string(indent + 1, ' '));
  }
  os << ']';
}
}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::vector<double> vals = cpu().to(DType::F64).contiguous().to_vector<double>();
  std::ostringstream os;
  os << "tensor(";
  if (dim() == 0) {
    print_value(os, vals[0], is_floating(dtype_));
  } else if (numel() == 0) {
    os << "[]";
  } else {
    print_rec(os, *this, vals, 0, 0, numel() > kSummarise, 7);
  }
  os << ", " << meta() << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  return os << t.str();
}

}  // namespace sp
