// Shape and Strides: up to 8 dimensions stored inline (no heap). Strides are in elements.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace sp {

inline constexpr int kMaxRank = 8;

class Dims {
 public:
  Dims() = default;
  Dims(std::initializer_list<int64_t> dims);
  explicit Dims(const std::vector<int64_t>& dims);
  static Dims filled(int rank, int64_t value);

  int rank() const { return rank_; }
  int size() const { return rank_; }
  bool empty() const { return rank_ == 0; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  const int64_t* begin() const { return d_.data(); }
  const int64_t* end() const { return d_.data() + rank_; }
  int64_t* begin() { return d_.data(); }
  int64_t* end() { return d_.data() + rank_; }
  int64_t back() const { return d_[rank_ - 1]; }

  void push_back(int64_t v);
  void insert(int pos, int64_t v);
  void erase(int pos);
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  std::string str() const;  // "[8, 1, 240, 320]"

  bool operator==(const Dims& o) const;
  bool operator!=(const Dims& o) const { return !(*this == o); }

 private:
  std::array<int64_t, kMaxRank> d_{};
  int rank_ = 0;
};

using Shape = Dims;
using Strides = Dims;

std::ostream& operator<<(std::ostream& os, const Dims& d);

int64_t numel(const Shape& s);
Strides contiguous_strides(const Shape& s);
bool is_contiguous(const Shape& s, const Strides& st);
// Wraps a possibly negative dim into [0, rank); `what` names the op for the error.
int wrap_dim(int64_t dim, int rank, const char* what);
// PyTorch broadcasting of two shapes; `what` names the op for the error.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* what);
// Strides that view a tensor of shape `s` (strides `st`) as shape `target` (broadcast:
// stride 0 along expanded dims). `target` must be a broadcast of `s`.
Strides broadcast_strides(const Shape& s, const Strides& st, const Shape& target);

}  // namespace sp
