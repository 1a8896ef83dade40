#include "data/npy.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "tensor/ops/creation.h"

namespace sp::data {

namespace {

using Bytes = std::vector<uint8_t>;

Bytes read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  SP_CHECK(in.good(), what, ": expected a readable file ", path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// ---- numeric payloads ---------------------------------------------------------------

// A little-endian numeric array of `descr` ("<f8", "|u1", ...) from raw bytes.
Tensor numeric_array(const std::string& descr, const std::vector<int64_t>& shape, bool fortran,
                     const uint8_t* data, size_t size, const std::string& what) {
  SP_CHECK(descr.size() >= 3, what, ": expected a numpy dtype like '<f8', got '", descr, "'");
  const char order = descr[0], kind = descr[1];
  const int width = descr.size() == 3 ? descr[2] - '0' : 0;
  SP_CHECK(width == 1 || width == 2 || width == 4 || width == 8, what,
           ": expected a bool, integer or float dtype, got '", descr, "'");
  SP_CHECK(order == '<' || order == '|' || (order == '=' && width == 1), what,
           ": expected a little-endian dtype, got '", descr, "'; hint: save with '<' byte order");
  // Every dim >= 0; the product (each dim counted as at least 1, as the strides are) and
  // the byte count must not overflow before they are checked against the data.
  uint64_t n = 1, span = 1;
  for (int64_t d : shape) {
    SP_CHECK(d >= 0, what, ": expected dims >= 0, got ", d);
    SP_CHECK(!__builtin_mul_overflow(n, uint64_t(d), &n) &&
                 !__builtin_mul_overflow(span, uint64_t(std::max<int64_t>(d, 1)), &span) &&
                 span <= uint64_t(INT64_MAX) / 8,
             what, ": expected an array shape whose size fits 64 bits");
  }
  SP_CHECK(n * uint64_t(width) <= size, what, ": expected ", n * uint64_t(width), " bytes of ",
           descr, " data, got ", size, " (truncated?)");
  Shape s;
  std::vector<int64_t> dims = shape;
  if (fortran) std::reverse(dims.begin(), dims.end());
  for (int64_t d : dims) s.push_back(d);
  Tensor t;
  auto from = [&](DType dt) { return from_data(data, s, dt); };
  if (kind == 'f' && width == 4)
    t = from(DType::F32);
  else if (kind == 'f' && width == 8)
    t = from(DType::F64);
  else if (kind == 'f' && width == 2)
    t = from(DType::F16).to(DType::F32);
  else if (kind == 'b' && width == 1) {
    Bytes bools(data, data + n);  // any nonzero byte is True (numpy's bool(x)), stored as 1
    for (uint8_t& b : bools) b = b != 0;
    t = from_data(bools.data(), s, DType::Bool);
  } else if (kind == 'u' && width == 1)
    t = from(DType::U8);
  else if (kind == 'i' && width == 4)
    t = from(DType::I32).to(DType::I64);
  else if (kind == 'i' && width == 8)
    t = from(DType::I64);
  else if ((kind == 'i' || kind == 'u') && width <= 4) {
    std::vector<int64_t> v(static_cast<size_t>(n));
    for (uint64_t k = 0; k < n; ++k) {
      uint64_t raw = le(data + k * width, width);
      if (kind == 'i' && (raw >> (8 * width - 1)) & 1) raw |= ~uint64_t(0) << (8 * width);
      v[size_t(k)] = int64_t(raw);
    }
    t = from_vector(v, s);
  } else {
    SP_FAIL(what, ": expected a bool, integer or float dtype, got '", descr, "'");
  }
  if (fortran && t.dim() > 1) {
    std::vector<int64_t> perm;
    for (int64_t d = t.dim() - 1; d >= 0; --d) perm.push_back(d);
    t = t.permute(perm).contiguous();
  }
  return t;
}

// ---- the pickle subset --------------------------------------------------------------

struct PV;
using PVp = std::shared_ptr<PV>;
struct PV {
  enum class K {
    None,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    Tuple,
    List,
    Dict,
    Global,
    NdArray,
    Dtype,
    Mark
  };
  K k = K::None;
  int64_t i = 0;
  double f = 0;
  std::string s;           // Str, Bytes, Global "module.name", Dtype descr
  std::vector<PVp> items;  // Tuple, List, Dict (k, v, ...)
  // NdArray
  std::vector<int64_t> shape;
  std::string descr;
  bool fortran = false;
  PVp data;  // Bytes or List
};

PVp make(PV::K k) {
  auto p = std::make_shared<PV>();
  p->k = k;
  return p;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* d, size_t n, std::string what) : d_(d), n_(n), what_(std::move(what)) {}
  // A pickle can put a list into itself (memo, DUP): break every link at the end so no
  // cycle of shared_ptrs leaks, and no deep nesting is freed recursively.
  ~Unpickler() {
    for (const PVp& p : made_) {
      p->items.clear();
      p->data.reset();
    }
  }
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  PVp run() {
    for (;;) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80:
          byte();
          break;  // PROTO
        case 0x95:
          take(8);
          break;  // FRAME
        case '.':
          return pop();  // STOP
        case '(':
          stack_.push_back(mk(PV::K::Mark));
          break;
        case '0':
          pop();
          break;
        case '1':
          pop_mark();
          break;
        case '2':
          stack_.push_back(back());
          break;
        case 'N':
          stack_.push_back(mk(PV::K::None));
          break;
        case 0x88:
        case 0x89: {
          auto v = mk(PV::K::Bool);
          v->i = op == 0x88;
          stack_.push_back(v);
          break;
        }
        case 'J':
          integer(int64_t(int32_t(le(take(4), 4))));
          break;
        case 'K':
          integer(byte());
          break;
        case 'M':
          integer(int64_t(le(take(2), 2)));
          break;
        case 0x8a: {  // LONG1
          const int len = byte();
          uint64_t raw = le(take(size_t(len)), len);
          if (len > 0 && len < 8 && (raw >> (8 * len - 1)) & 1) raw |= ~uint64_t(0) << (8 * len);
          integer(int64_t(raw));
          break;
        }
        case 'G': {  // BINFLOAT, big-endian
          const uint8_t* p = take(8);
          uint64_t raw = 0;
          for (int b = 0; b < 8; ++b) raw = (raw << 8) | p[b];
          auto v = mk(PV::K::Float);
          std::memcpy(&v->f, &raw, 8);
          stack_.push_back(v);
          break;
        }
        case 'X':
          text(PV::K::Str, le(take(4), 4));
          break;
        case 0x8c:
          text(PV::K::Str, byte());
          break;
        case 0x8d:
          text(PV::K::Str, le(take(8), 8));
          break;
        case 'T':
          text(PV::K::Bytes, le(take(4), 4));
          break;
        case 'U':
          text(PV::K::Bytes, byte());
          break;
        case 'B':
          text(PV::K::Bytes, le(take(4), 4));
          break;
        case 'C':
          text(PV::K::Bytes, byte());
          break;
        case 0x8e:
        case 0x96:
          text(PV::K::Bytes, le(take(8), 8));
          break;
        case ']':
          stack_.push_back(mk(PV::K::List));
          break;
        case ')':
          stack_.push_back(mk(PV::K::Tuple));
          break;
        case '}':
          stack_.push_back(mk(PV::K::Dict));
          break;
        case 'a': {
          auto v = pop();
          top(PV::K::List)->items.push_back(v);
          break;
        }
        case 'e': {
          auto v = pop_mark();
          auto& l = top(PV::K::List)->items;
          l.insert(l.end(), v.begin(), v.end());
          break;
        }
        case 'l': {
          auto v = mk(PV::K::List);
          v->items = pop_mark();
          stack_.push_back(v);
          break;
        }
        case 't': {
          auto v = mk(PV::K::Tuple);
          v->items = pop_mark();
          stack_.push_back(v);
          break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {
          auto v = mk(PV::K::Tuple);
          v->items.resize(size_t(op - 0x84));
          for (size_t k = v->items.size(); k-- > 0;) v->items[k] = pop();
          stack_.push_back(v);
          break;
        }
        case 's': {
          auto val = pop(), key = pop();
          auto& d = top(PV::K::Dict)->items;
          d.push_back(key);
          d.push_back(val);
          break;
        }
        case 'u': {
          auto v = pop_mark();
          auto& d = top(PV::K::Dict)->items;
          d.insert(d.end(), v.begin(), v.end());
          break;
        }
        case 'c': {
          auto g = mk(PV::K::Global);
          const std::string module = line();  // two lines, read in order
          g->s = module + "." + line();
          stack_.push_back(g);
          break;
        }
        case 0x93: {
          auto name = pop(), module = pop();
          auto g = mk(PV::K::Global);
          g->s = module->s + "." + name->s;
          stack_.push_back(g);
          break;
        }
        case 'R': {
          auto args = pop(), fn = pop();
          stack_.push_back(reduce(fn, args));
          break;
        }
        case 0x81: {
          auto args = pop(), cls = pop();
          stack_.push_back(reduce(cls, args));
          break;
        }
        case 'b': {
          auto state = pop();
          build(back(), state);
          break;
        }
        case 'q':
          memo_[byte()] = back();
          break;
        case 'r':
          memo_[le(take(4), 4)] = back();
          break;
        case 'p':
          memo_[number(line())] = back();
          break;
        case 0x94:
          memo_[memo_.size()] = back();
          break;
        case 'h':
          get(byte());
          break;
        case 'j':
          get(le(take(4), 4));
          break;
        case 'g':
          get(number(line()));
          break;
        default:
          SP_FAIL(what_, ": expected a pickle opcode of numpy arrays, got 0x", std::hex, int(op),
                  std::dec, " at byte ", pos_ - 1);
      }
    }
  }

 private:
  uint8_t byte() { return *take(1); }
  const uint8_t* take(size_t n) {
    SP_CHECK(n <= n_ - pos_, what_, ": expected ", n, " more pickle bytes at byte ", pos_,
             ", got the end (truncated?)");
    const uint8_t* p = d_ + pos_;
    pos_ += n;
    return p;
  }
  PVp mk(PV::K k) {
    made_.push_back(make(k));
    return made_.back();
  }
  uint64_t number(const std::string& s) {
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    SP_CHECK(ec == std::errc() && end == s.data() + s.size() && !s.empty(), what_,
             ": expected a memo index in the pickle, got '", s, "'");
    return v;
  }
  std::string line() {
    std::string s;
    for (char c; (c = char(byte())) != '\n';) s.push_back(c);
    return s;
  }
  void integer(int64_t v) {
    auto p = mk(PV::K::Int);
    p->i = v;
    stack_.push_back(p);
  }
  void text(PV::K k, uint64_t n) {
    auto p = make(k);
    const uint8_t* b = take(size_t(n));
    p->s.assign(reinterpret_cast<const char*>(b), size_t(n));
    stack_.push_back(p);
  }
  PVp back() {
    SP_CHECK(!stack_.empty(), what_, ": expected a value on the pickle stack, got none");
    return stack_.back();
  }
  PVp pop() {
    PVp v = back();
    stack_.pop_back();
    return v;
  }
  PVp top(PV::K k) {
    PVp v = back();
    SP_CHECK(v->k == k, what_, ": malformed pickle (container expected)");
    return v;
  }
  std::vector<PVp> pop_mark() {
    size_t m = stack_.size();
    while (m > 0 && stack_[m - 1]->k != PV::K::Mark) --m;
    SP_CHECK(m > 0, what_, ": expected a MARK on the pickle stack, got none");
    std::vector<PVp> items(stack_.begin() + int64_t(m), stack_.end());
    stack_.resize(m - 1);
    return items;
  }
  const PVp& arg(const PVp& args, size_t k) {
    SP_CHECK(k < args->items.size(), what_, ": expected at least ", k + 1,
             " arguments to a call in the pickle, got ", args->items.size());
    return args->items[k];
  }
  void get(uint64_t key) {
    auto it = memo_.find(key);
    SP_CHECK(it != memo_.end(), what_, ": expected memo entry ", key, " in the pickle, got none");
    stack_.push_back(it->second);
  }
  static bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  }
  PVp reduce(const PVp& fn, const PVp& args) {
    const std::string& g = fn->s;
    if (ends_with(g, "multiarray._reconstruct")) return mk(PV::K::NdArray);
    if (g == "numpy.dtype") {
      auto d = mk(PV::K::Dtype);
      d->s = arg(args, 0)->s;
      return d;
    }
    if (ends_with(g, "multiarray.scalar")) {  // numpy scalar: (dtype, bytes)
      const PVp& dt = arg(args, 0);
      const PVp& raw = arg(args, 1);
      const std::string descr = (dt->descr.empty() ? "<" : dt->descr) + dt->s;
      Tensor t = numeric_array(descr, {}, false, reinterpret_cast<const uint8_t*>(raw->s.data()),
                               raw->s.size(), what_);
      auto v = mk(PV::K::Float);
      v->f = t.to(DType::F64).item<double>();
      return v;
    }
    if (g == "_codecs.encode") {  // protocol-2 bytes: (str, 'latin1')
      auto v = mk(PV::K::Bytes);
      const std::string& u = arg(args, 0)->s;  // UTF-8 of latin1 code points
      for (size_t k = 0; k < u.size(); ++k) {
        const uint8_t c = uint8_t(u[k]);
        if (c < 0x80) {
          v->s.push_back(char(c));
        } else {
          SP_CHECK((c == 0xc2 || c == 0xc3) && k + 1 < u.size(), what_,
                   ": expected latin-1 text as UTF-8 in protocol-2 bytes");
          v->s.push_back(char(((c & 0x03) << 6) | (uint8_t(u[++k]) & 0x3f)));
        }
      }
      return v;
    }
    SP_FAIL(what_, ": expected numpy arrays of numbers, strings and None in the pickle, got a ",
            "call of ", g);
  }
  void build(const PVp& obj, const PVp& state) {
    if (obj->k == PV::K::Dtype) {  // (version, byteorder, ...)
      obj->descr = state->items.size() > 1 ? state->items[1]->s : "<";
      if (obj->descr == "|" || obj->descr == "=") obj->descr = obj->descr == "=" ? "<" : "|";
      return;
    }
    SP_CHECK(obj->k == PV::K::NdArray && state->k == PV::K::Tuple && state->items.size() == 5,
             what_, ": expected an ndarray state (version, shape, dtype, fortran, data)");
    for (const PVp& d : state->items[1]->items) obj->shape.push_back(d->i);
    const PVp& dt = state->items[2];
    obj->descr = (dt->descr.empty() ? "<" : dt->descr) + dt->s;
    obj->fortran = state->items[3]->i != 0;
    obj->data = state->items[4];
  }

  const uint8_t* d_;
  size_t n_, pos_ = 0;
  std::string what_;
  std::vector<PVp> stack_;
  std::map<uint64_t, PVp> memo_;
  std::vector<PVp> made_;
};

// Shared values (memo) are converted once per reference: `budget` (bytes of output, one
// per value plus its text and data) keeps a small pickle from unfolding into a huge tree,
// and nesting is bounded so neither conversion nor NpyValue's destructor recurses deep.
// An object array holds its shape's product of elements (row-major).
void check_objects(const NpyValue& v, const std::string& what) {
  uint64_t n = 1;
  for (int64_t d : v.shape) {
    SP_CHECK(d >= 0 && !__builtin_mul_overflow(n, uint64_t(d), &n), what,
             ": expected an object array shape of dims >= 0");
  }
  SP_CHECK(n == v.items.size(), what, ": expected ", n, " objects for shape ", v.shape.size(),
           "-d, got ", v.items.size());
}

struct Budget {
  uint64_t left;
  int depth = 0;
};

NpyValue convert(const PVp& v, const std::string& what, Budget& budget) {
  SP_CHECK(budget.depth < 256, what, ": expected arrays nested at most 256 deep in the pickle");
  const uint64_t cost = 1 + v->s.size() + (v->data ? v->data->s.size() : 0);
  SP_CHECK(cost <= budget.left, what,
           ": expected the pickle's shared values to unfold into at most a few times its size");
  budget.left -= cost;
  ++budget.depth;
  struct Leave {
    Budget& b;
    ~Leave() { --b.depth; }
  } leave{budget};
  NpyValue out;
  switch (v->k) {
    case PV::K::None:
      return out;
    case PV::K::Bool:
    case PV::K::Int:
      out.kind = NpyValue::Kind::Number;
      out.number = double(v->i);
      return out;
    case PV::K::Float:
      out.kind = NpyValue::Kind::Number;
      out.number = v->f;
      return out;
    case PV::K::Str:
    case PV::K::Bytes:
      out.kind = NpyValue::Kind::String;
      out.string = v->s;
      return out;
    case PV::K::List:
    case PV::K::Tuple:
      out.kind = NpyValue::Kind::Objects;
      for (const PVp& item : v->items) out.items.push_back(convert(item, what, budget));
      out.shape = {int64_t(out.items.size())};
      return out;
    case PV::K::NdArray: {
      SP_CHECK(v->data != nullptr, what, ": expected ndarray data in the pickle, got none");
      const bool object = v->descr.size() >= 2 && v->descr[1] == 'O';
      if (object) {
        out = convert(v->data, what, budget);
        SP_CHECK(out.kind == NpyValue::Kind::Objects, what,
                 ": expected a list of objects as an object array's data, got ", out.describe());
        out.shape = v->shape;
        check_objects(out, what);
        return out;
      }
      out.kind = NpyValue::Kind::Array;
      out.array = numeric_array(v->descr, v->shape, v->fortran,
                                reinterpret_cast<const uint8_t*>(v->data->s.data()),
                                v->data->s.size(), what);
      return out;
    }
    default:
      SP_FAIL(what, ": expected numbers, strings, None or arrays in the pickle");
  }
}

// Header dict values of '{"descr": "<f8", "fortran_order": False, "shape": (3, 4), }'.
std::string header_field(const std::string& h, const std::string& key, const std::string& what) {
  const size_t k = h.find("'" + key + "'");
  SP_CHECK(k != std::string::npos, what, ": expected '", key, "' in the .npy header, got ", h);
  const size_t colon = h.find(':', k);
  SP_CHECK(colon != std::string::npos, what, ": expected ':' after '", key,
           "' in the .npy header, got ", h);
  size_t v = colon + 1;
  while (v < h.size() && h[v] == ' ') ++v;
  size_t end = v;
  if (v < h.size() && (h[v] == '(' || h[v] == '\'')) {
    end = h.find(h[v] == '(' ? ')' : '\'', v + 1);
    SP_CHECK(end != std::string::npos, what, ": expected the value of '", key,
             "' to be closed in the .npy header, got ", h);
    ++end;
  } else {
    while (end < h.size() && h[end] != ',' && h[end] != '}') ++end;
  }
  return h.substr(v, end - v);
}

}  // namespace

std::string NpyValue::describe() const {
  std::ostringstream o;
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::String:
      return "str";
    case Kind::Number:
      return "number";
    case Kind::Array:
      o << array.dtype() << " array " << array.shape();
      return o.str();
    case Kind::Objects:
      o << "object array of " << items.size();
      return o.str();
  }
  return "?";
}

NpyValue parse_npy(const Bytes& b, const std::string& what) {
  SP_CHECK(b.size() >= 10 && std::memcmp(b.data(), "\x93NUMPY", 6) == 0, what,
           ": expected a .npy payload (magic \\x93NUMPY), got ", b.size(), " bytes");
  const int major = b[6];
  SP_CHECK(major >= 1 && major <= 3, what, ": expected .npy format version 1, 2 or 3, got ", major);
  SP_CHECK(major == 1 || b.size() >= 12, what, ": expected a .npy header length, got ", b.size(),
           " bytes (truncated?)");
  const size_t hlen = major == 1 ? le(&b[8], 2) : le(&b[8], 4);
  const size_t start = major == 1 ? 10 : 12;
  SP_CHECK(start + hlen <= b.size(), what, ": expected a .npy header of ", hlen, " bytes, got ",
           b.size() - start);
  const std::string h(reinterpret_cast<const char*>(&b[start]), hlen);
  std::string descr = header_field(h, "descr", what);
  SP_CHECK(descr.size() >= 2 && descr.front() == '\'', what,
           ": expected a simple dtype string (no structured arrays), got ", descr);
  descr = descr.substr(1, descr.size() - 2);
  const bool fortran = header_field(h, "fortran_order", what) == "True";
  std::vector<int64_t> shape;
  const std::string dims = header_field(h, "shape", what);
  SP_CHECK(dims.size() >= 2 && dims.front() == '(' && dims.back() == ')', what,
           ": expected a shape tuple like (3, 4) in the .npy header, got ", dims);
  std::istringstream in(dims.substr(1, dims.size() - 2));
  for (std::string tok; std::getline(in, tok, ',');) {
    tok.erase(std::remove(tok.begin(), tok.end(), ' '), tok.end());
    if (tok.empty()) continue;
    int64_t d = 0;
    const auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), d);
    SP_CHECK(ec == std::errc() && end == tok.data() + tok.size() && d >= 0, what,
             ": expected dims >= 0 in the .npy shape, got ", dims);
    shape.push_back(d);
  }
  const uint8_t* data = b.data() + start + hlen;
  const size_t size = b.size() - start - hlen;
  if (descr == "|O") {
    Unpickler u(data, size, what);
    Budget budget{4 * uint64_t(size) + 4096};
    NpyValue v = convert(u.run(), what, budget);
    if (v.kind == NpyValue::Kind::Objects) {
      v.shape = shape;
      check_objects(v, what);
    }
    return v;
  }
  NpyValue v;
  v.kind = NpyValue::Kind::Array;
  v.array = numeric_array(descr, shape, fortran, data, size, what);
  return v;
}

NpyValue read_npy(const std::string& path) {
  return parse_npy(read_file(path, "npy"), path);
}

NpzFile::NpzFile(const std::string& path) : path_(path) {
  const Bytes z = read_file(path, "npz");
  SP_CHECK(z.size() >= 22, "npz: expected a zip archive in ", path, ", got ", z.size(), " bytes");
  int64_t eocd = -1;
  for (int64_t at = int64_t(z.size()) - 22; at >= 0 && at >= int64_t(z.size()) - 65557; --at)
    if (le(&z[size_t(at)], 4) == 0x06054b50) {
      eocd = at;
      break;
    }
  SP_CHECK(eocd >= 0, "npz: expected a zip end record in ", path, " (truncated file?)");
  auto need = [&](uint64_t at, uint64_t n) {
    SP_CHECK(at <= z.size() && n <= z.size() - at, "npz: expected a complete zip record at byte ",
             at, " of ", path, " (truncated file?)");
  };
  uint64_t count = le(&z[size_t(eocd) + 10], 2), dir = le(&z[size_t(eocd) + 16], 4);
  if (dir == 0xffffffff && eocd >= 20 && le(&z[size_t(eocd) - 20], 4) == 0x07064b50) {
    const uint64_t rec = le(&z[size_t(eocd) - 12], 8);  // zip64 end record
    need(rec, 56);
    count = le(&z[rec + 32], 8);
    dir = le(&z[rec + 48], 8);
  }
  uint64_t total_left = 1032 * uint64_t(z.size()) + 64;
  for (uint64_t e = 0, at = dir; e < count; ++e) {
    need(at, 46);
    SP_CHECK(le(&z[at], 4) == 0x02014b50, "npz: expected a zip directory entry at byte ", at,
             " of ", path);
    const uint64_t method = le(&z[at + 10], 2), name_len = le(&z[at + 28], 2),
                   extra_len = le(&z[at + 30], 2), comment_len = le(&z[at + 32], 2);
    uint64_t csize = le(&z[at + 20], 4), usize = le(&z[at + 24], 4), local = le(&z[at + 42], 4);
    need(at + 46, name_len + extra_len);
    const std::string name(reinterpret_cast<const char*>(&z[at + 46]), name_len);
    for (uint64_t x = at + 46 + name_len; x + 4 <= at + 46 + name_len + extra_len;) {
      const uint64_t id = le(&z[x], 2), len = le(&z[x + 2], 2);
      if (id == 1) {  // zip64 sizes and offset, in this order, when their field is 0xffffffff
        uint64_t f = x + 4;
        const uint64_t field_end = std::min(x + 4 + len, at + 46 + name_len + extra_len);
        auto next = [&](uint64_t& v) {
          SP_CHECK(f + 8 <= field_end, "npz: expected a complete zip64 field for ", name, " in ",
                   path);
          v = le(&z[f], 8);
          f += 8;
        };
        if (usize == 0xffffffff) next(usize);
        if (csize == 0xffffffff) next(csize);
        if (local == 0xffffffff) next(local);
      }
      x += 4 + len;
    }
    need(local, 30);
    const uint64_t data = local + 30 + le(&z[local + 26], 2) + le(&z[local + 28], 2);
    need(data, csize);
    // Every entry is backed by the archive: at most deflate's 1032:1 over its stored bytes,
    // and all of them together at most that over the file (entries may share bytes).
    const uint64_t size = method == 0 ? csize : usize;
    SP_CHECK(size <= 1032 * csize + 64 && size <= total_left, "npz: entry ", name, " of ", path,
             " claims ", size, " bytes, more than its ", csize, " compressed bytes can hold");
    total_left -= size;
    Bytes out;
    if (method == 0) {
      out.assign(z.begin() + int64_t(data), z.begin() + int64_t(data + csize));
    } else {
      SP_CHECK(method == 8, "npz: expected stored or deflated entries in ", path, ", got method ",
               method, " for ", name);
      SP_CHECK(csize <= 0xffffffff && usize <= 0xffffffff, "npz: expected deflated entries under ",
               "4 GB in ", path, ", got ", name, " of ", usize, " bytes");
      out.resize(size_t(usize));
      z_stream s{};
      s.next_in = const_cast<uint8_t*>(&z[data]);
      s.avail_in = uInt(csize);
      s.next_out = out.data();
      s.avail_out = uInt(usize);
      const bool ok = inflateInit2(&s, -MAX_WBITS) == Z_OK && inflate(&s, Z_FINISH) == Z_STREAM_END;
      inflateEnd(&s);
      SP_CHECK(ok && s.total_out == usize, "npz: expected a valid deflate stream for ", name,
               " in ", path, " (corrupt file?)");
    }
    std::string key = name;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    entries_[key] = std::move(out);
    at += 46 + name_len + extra_len + comment_len;
  }
}

std::vector<std::string> NpzFile::keys() const {
  std::vector<std::string> k;
  for (const auto& [name, bytes] : entries_) k.push_back(name);
  return k;
}

NpyValue NpzFile::get(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    std::string present;
    for (const std::string& k : keys()) present += (present.empty() ? "" : ", ") + k;
    SP_FAIL("npz: expected the array '", key, "' in ", path_, ", got [", present, "]");
  }
  return parse_npy(it->second, path_ + ": " + key);
}

}  // namespace sp::data
