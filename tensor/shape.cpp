#include "tensor/shape.h"

#include <sstream>

#include "tensor/check.h"

namespace sp {

Dims::Dims(std::initializer_list<int64_t> dims) {
  SP_CHECK(dims.size() <= kMaxRank, "shape: expected at most ", kMaxRank, " dims, got ",
           dims.size());
  for (int64_t v : dims) d_[rank_++] = v;
}

Dims::Dims(const std::vector<int64_t>& dims) {
  SP_CHECK(dims.size() <= kMaxRank, "shape: expected at most ", kMaxRank, " dims, got ",
           dims.size());
  for (int64_t v : dims) d_[rank_++] = v;
}

Dims Dims::filled(int rank, int64_t value) {
  Dims d;
  for (int i = 0; i < rank; ++i) d.push_back(value);
  return d;
}

void Dims::push_back(int64_t v) {
  SP_CHECK(rank_ < kMaxRank, "shape: expected at most ", kMaxRank, " dims");
  d_[rank_++] = v;
}

void Dims::insert(int pos, int64_t v) {
  SP_CHECK(rank_ < kMaxRank, "shape: expected at most ", kMaxRank, " dims");
  SP_ASSERT(pos >= 0 && pos <= rank_);
  for (int i = rank_; i > pos; --i) d_[i] = d_[i - 1];
  d_[pos] = v;
  ++rank_;
}

void Dims::erase(int pos) {
  SP_ASSERT(pos >= 0 && pos < rank_);
  for (int i = pos; i + 1 < rank_; ++i) d_[i] = d_[i + 1];
  --rank_;
}

std::string Dims::str() const {
  std::ostringstream os;
  os << '[';
  for (int i = 0; i < rank_; ++i) os << (i ? ", " : "") << d_[i];
  os << ']';
  return os.str();
}

bool Dims::operator==(const Dims& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

std::ostream& operator<<(std::ostream& os, const Dims& d) {
  return os << d.str();
}

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t v : s) n *= v;
  return n;
}

Strides contiguous_strides(const Shape& s) {
  Strides st = Dims::filled(s.rank(), 1);
  for (int i = s.rank() - 2; i >= 0; --i) st[i] = st[i + 1] * std::max<int64_t>(s[i + 1], 1);
  return st;
}

bool is_contiguous(const Shape& s, const Strides& st) {
  int64_t expected = 1;
  for (int i = s.rank() - 1; i >= 0; --i) {
    if (s[i] == 0) return true;
    if (s[i] != 1 && st[i] != expected) return false;
    expected *= s[i];
  }
  return true;
}

int wrap_dim(int64_t dim, int rank, const char* what) {
  int r = std::max(rank, 1);
  SP_CHECK(dim >= -r && dim < r, what, ": expected dim in [", -r, ", ", r - 1, "], got ", dim);
  return static_cast<int>(dim < 0 ? dim + r : dim);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* what) {
  int rank = std::max(a.rank(), b.rank());
  Shape out = Dims::filled(rank, 1);
  for (int i = 0; i < rank; ++i) {
    int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    SP_CHECK(da == db || da == 1 || db == 1, what, ": expected broadcastable shapes, got ", a,
             " and ", b, " (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Strides broadcast_strides(const Shape& s, const Strides& st, const Shape& target) {
  Strides out = Dims::filled(target.rank(), 0);
  int off = target.rank() - s.rank();
  SP_ASSERT(off >= 0, "cannot broadcast ", s, " to ", target);
  for (int i = 0; i < s.rank(); ++i) {
    SP_ASSERT(s[i] == target[i + off] || s[i] == 1, "cannot broadcast ", s, " to ", target);
    out[i + off] = s[i] == 1 ? 0 : st[i];
  }
  return out;
}

}  // namespace sp
