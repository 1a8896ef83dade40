#include "nn/pickle.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>

namespace sp::nn::pickle {
namespace {

ValuePtr make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

ValuePtr make_int(int64_t i) {
  auto v = make(Value::Kind::Int);
  v->i = i;
  return v;
}

ValuePtr make_string(std::string s, Value::Kind kind = Value::Kind::String) {
  auto v = make(kind);
  v->s = std::move(s);
  return v;
}

int64_t as_int(const ValuePtr& v, const std::string& what, const char* field) {
  SP_CHECK(v->is(Value::Kind::Int) || v->is(Value::Kind::Bool), what, ": expected an int for ",
           field, ", got ", v->describe());
  return v->i;
}

Dims as_dims(const ValuePtr& v, const std::string& what, const char* field) {
  SP_CHECK(v->is(Value::Kind::Tuple) || v->is(Value::Kind::List), what, ": expected a tuple for ",
           field, ", got ", v->describe());
  SP_CHECK(v->items.size() <= size_t(kMaxRank), what, ": expected at most ", kMaxRank, " dims for ",
           field, ", got ", v->items.size());
  Dims d;
  for (const auto& x : v->items) d.push_back(as_int(x, what, field));
  return d;
}

// torch._utils._rebuild_tensor(_v2)(storage, offset, size, stride, ...): a strided view.
ValuePtr rebuild_tensor(const std::vector<ValuePtr>& args, const std::string& what) {
  SP_CHECK(args.size() >= 4, what, ": expected at least 4 arguments to _rebuild_tensor, got ",
           args.size());
  SP_CHECK(args[0]->is(Value::Kind::Tensor), what,
           ": expected a storage as first argument to _rebuild_tensor, got ", args[0]->describe());
  const Tensor& storage = args[0]->tensor;
  int64_t offset = as_int(args[1], what, "storage offset");
  Shape shape = as_dims(args[2], what, "size");
  Strides strides = as_dims(args[3], what, "stride");
  SP_CHECK(shape.rank() == strides.rank(), what, ": expected as many strides as dims, got size ",
           shape, " and stride ", strides);
  // The view must stay inside the storage (a malformed file must not read out of bounds),
  // with every product and sum checked for overflow. It may repeat elements (stride 0, as
  // torch's expand) but not hold more than its storage or 2^24 elements, so a small file
  // cannot turn into a huge tensor once made contiguous.
  int64_t last = offset, numel = 1;
  bool empty = false, overflow = false;
  for (int d = 0; d < shape.rank(); ++d) {
    SP_CHECK(shape[d] >= 0 && strides[d] >= 0, what,
             ": expected non-negative size and stride, got size ", shape, " stride ", strides);
    int64_t span = 0;
    overflow |= __builtin_mul_overflow(numel, std::max<int64_t>(shape[d], 1), &numel);
    if (shape[d] == 0)
      empty = true;
    else
      overflow |= __builtin_mul_overflow(shape[d] - 1, strides[d], &span) ||
                  __builtin_add_overflow(last, span, &last);
  }
  SP_CHECK(offset >= 0 && !overflow && (empty || last < storage.numel()), what,
           ": expected a view inside its storage of ", storage.numel(), " elements, got offset ",
           offset, " size ", shape, " stride ", strides);
  SP_CHECK(numel <= std::max<int64_t>(storage.numel(), int64_t(1) << 24), what,
           ": expected a view of at most ", std::max<int64_t>(storage.numel(), int64_t(1) << 24),
           " elements over a storage of ", storage.numel(), ", got size ", shape, " stride ",
           strides);
  auto v = make(Value::Kind::Tensor);
  v->tensor = storage.as_strided(shape, strides, offset);
  return v;
}

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, size_t& pos, const PersistentLoad& pl,
          const std::string& what)
      : data_(data), size_(size), pos_(pos), persistent_load_(pl), what_(what) {}

  ValuePtr run() {
    for (;;) {
      size_t at = pos_;
      uint8_t op = u8();
      switch (op) {
        case 0x80:
          u8();
          break;  // PROTO
        case 0x95:
          bytes(8);
          break;   // FRAME (protocol 4): frames are just a size hint
        case '.':  // STOP
          SP_CHECK(stack_.size() == 1 && marks_.empty(), what_,
                   ": expected one value on the stack at STOP, got ", stack_.size());
          return stack_.back();
        case '(':
          marks_.push_back(stack_.size());
          break;  // MARK
        case 'N':
          push(make(Value::Kind::None));
          break;
        case 0x88:
        case 0x89: {  // NEWTRUE, NEWFALSE
          auto v = make(Value::Kind::Bool);
          v->i = op == 0x88;
          push(v);
          break;
        }
        case 'K':
          push(make_int(u8()));
          break;  // BININT1
        case 'M':
          push(make_int(int64_t(le(2))));
          break;  // BININT2
        case 'J':
          push(make_int(int64_t(int32_t(uint32_t(le(4))))));
          break;  // BININT
        case 0x8a:
          long1();
          break;
        case 'G': {  // BINFLOAT: big-endian double
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | u8();
          auto v = make(Value::Kind::Float);
          std::memcpy(&v->f, &bits, 8);
          push(v);
          break;
        }
        case 'X':
          push(make_string(bytes(le(4))));
          break;  // BINUNICODE
        case 0x8c:
          push(make_string(bytes(u8())));
          break;  // SHORT_BINUNICODE
        case 0x8d:
          push(make_string(bytes(le(8))));
          break;  // BINUNICODE8
        case 'B':
          push(make_string(bytes(le(4))));
          break;  // BINBYTES (kept as str)
        case 'C':
          push(make_string(bytes(u8())));
          break;     // SHORT_BINBYTES
        case 'c': {  // GLOBAL "module\nname\n"
          std::string module = line();
          push(make_string(module + "." + line(), Value::Kind::Global));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          ValuePtr name = pop(), module = pop();
          SP_CHECK(name->is(Value::Kind::String) && module->is(Value::Kind::String), what_,
                   ": expected two strings for STACK_GLOBAL, got ", module->describe(), " and ",
                   name->describe());
          push(make_string(module->s + "." + name->s, Value::Kind::Global));
          break;
        }
        case ')':
          push(make(Value::Kind::Tuple));
          break;  // EMPTY_TUPLE
        case 't':
          push(collection(Value::Kind::Tuple, pop_mark()));
          break;
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          size_t n = op - 0x84;
          SP_CHECK(stack_.size() >= n && (marks_.empty() || stack_.size() - n >= marks_.back()),
                   what_, ": stack underflow or a pop across a MARK at byte ", at);
          std::vector<ValuePtr> items(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          push(collection(Value::Kind::Tuple, items));
          break;
        }
        case ']':
          push(make(Value::Kind::List));
          break;     // EMPTY_LIST
        case 'a': {  // APPEND
          ValuePtr v = pop();
          add(container(Value::Kind::List), {v});
          break;
        }
        case 'e': {  // APPENDS
          auto items = pop_mark();
          add(container(Value::Kind::List), items);
          break;
        }
        case 'l':
          push(collection(Value::Kind::List, pop_mark()));
          break;  // LIST
        case '}':
          push(make(Value::Kind::Dict));
          break;     // EMPTY_DICT
        case 'd': {  // DICT
          auto items = pop_mark();
          SP_CHECK(items.size() % 2 == 0, what_, ": expected key/value pairs for DICT at byte ",
                   at);
          push(collection(Value::Kind::Dict, items));
          break;
        }
        case 's': {  // SETITEM
          ValuePtr value = pop(), key = pop();
          add(container(Value::Kind::Dict), {key, value});
          break;
        }
        case 'u': {  // SETITEMS
          auto items = pop_mark();
          SP_CHECK(items.size() % 2 == 0, what_, ": expected key/value pairs for SETITEMS at byte ",
                   at);
          add(container(Value::Kind::Dict), items);
          break;
        }
        case 'q':
          memo_[u8()] = top();
          break;  // BINPUT
        case 'r':
          memo_[le(4)] = top();
          break;  // LONG_BINPUT
        case 0x94:
          memo_[memo_.size()] = top();
          break;  // MEMOIZE
        case 'h':
          push(memo(u8()));
          break;  // BINGET
        case 'j':
          push(memo(le(4)));
          break;  // LONG_BINGET
        case '0':
          pop();
          break;  // POP
        case '1':
          pop_mark();
          break;  // POP_MARK
        case '2':
          push(top());
          break;     // DUP
        case 'Q': {  // BINPERSID
          ValuePtr pid = pop();
          SP_CHECK(persistent_load_, what_, ": unexpected persistent id ", pid->describe());
          push(persistent_load_(pid));
          break;
        }
        case 'R': {  // REDUCE
          ValuePtr args = pop(), callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
          ValuePtr args = pop(), cls = pop();
          push(reduce(cls, args));
          break;
        }
        case 'b': {  // BUILD: obj.__setstate__(state); state is not needed (OrderedDict _metadata)
          pop();
          top();
          break;
        }
        default:
          SP_FAIL(what_, ": expected a supported pickle opcode, got 0x", hex(op), " at byte ", at,
                  "; hint: only what torch.save writes for tensors and dicts is supported");
      }
    }
  }

 private:
  static std::string hex(uint8_t b) {
    std::ostringstream s;
    s << std::hex << int(b);
    return s.str();
  }
  void need(size_t n) {
    SP_CHECK(n <= size_ - pos_, what_, ": expected ", n, " more bytes at byte ", pos_, ", got ",
             size_ - pos_, " (truncated pickle)");
  }
  uint8_t u8() {
    need(1);
    return data_[pos_++];
  }
  uint64_t le(int n) {
    need(n);
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | data_[pos_ + k];
    pos_ += n;
    return v;
  }
  std::string bytes(uint64_t n) {
    need(n);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  std::string line() {
    size_t end = pos_;
    while (end < size_ && data_[end] != '\n') ++end;
    SP_CHECK(end < size_, what_, ": expected a newline-terminated GLOBAL name at byte ", pos_);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
    pos_ = end + 1;
    return s;
  }
  void long1() {
    size_t n = u8();
    std::string raw = bytes(n);
    if (n <= 8) {
      uint64_t v = 0;
      for (size_t k = n; k-- > 0;) v = (v << 8) | uint8_t(raw[k]);
      if (n > 0 && n < 8 && (uint8_t(raw[n - 1]) & 0x80))
        v |= ~uint64_t(0) << (8 * n);  // sign-extend
      push(make_int(int64_t(v)));
    } else {
      push(make_string(raw, Value::Kind::BigInt));
    }
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr top() {
    SP_CHECK(!stack_.empty(), what_, ": stack underflow at byte ", pos_);
    return stack_.back();
  }
  ValuePtr pop() {
    ValuePtr v = top();
    stack_.pop_back();
    SP_CHECK(marks_.empty() || stack_.size() >= marks_.back(), what_,
             ": pop across a MARK at byte ", pos_);
    return v;
  }
  std::vector<ValuePtr> pop_mark() {
    SP_CHECK(!marks_.empty(), what_, ": expected a MARK before byte ", pos_);
    size_t m = marks_.back();
    SP_ASSERT(m <= stack_.size(), "pickle: a MARK above the stack");  // every pop checks the marks
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + m, stack_.end());
    stack_.resize(m);
    return items;
  }
  ValuePtr memo(uint64_t key) {
    auto it = memo_.find(key);
    SP_CHECK(it != memo_.end(), what_, ": expected memo entry ", key, " to exist at byte ", pos_);
    return it->second;
  }
  ValuePtr container(Value::Kind kind) {
    ValuePtr c = top();
    SP_CHECK(c->is(kind), what_, ": expected a ", kind == Value::Kind::Dict ? "dict" : "list",
             " at byte ", pos_, ", got ", c->describe());
    SP_CHECK(!c->sealed, what_, ": expected a ", kind == Value::Kind::Dict ? "dict" : "list",
             " to be filled before it is put into another container, got a change after at byte ",
             pos_, "; hint: recursive objects are not supported");
    return c;
  }
  // Puts items into a new or unsealed container: seals them and tracks the nesting depth.
  // A container never holds itself: it is not sealed yet, so it is not inside any of the
  // items (they are sealed, or new), and it is not one of them.
  void add(const ValuePtr& c, const std::vector<ValuePtr>& items) {
    for (const ValuePtr& v : items) {
      SP_CHECK(v != c, what_, ": expected a container not to hold itself, got one at byte ", pos_,
               "; hint: recursive objects are not supported");
      v->sealed = true;
      c->depth = std::max(c->depth, v->depth + 1);
    }
    SP_CHECK(c->depth <= kMaxDepth, what_, ": expected containers nested at most ", kMaxDepth,
             " deep, got more at byte ", pos_);
    c->items.insert(c->items.end(), items.begin(), items.end());
  }
  ValuePtr collection(Value::Kind kind, const std::vector<ValuePtr>& items) {
    auto v = make(kind);
    add(v, items);
    return v;
  }
  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args) {
    SP_CHECK(args->is(Value::Kind::Tuple), what_, ": expected an argument tuple for REDUCE, got ",
             args->describe());
    if (callable->is(Value::Kind::Global)) {
      const std::string& name = callable->s;
      if (name == "collections.OrderedDict") {
        SP_CHECK(args->items.empty(), what_, ": expected OrderedDict() without arguments");
        return make(Value::Kind::Dict);
      }
      if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
        return rebuild_tensor(args->items, what_);
      if (name == "torch._utils._rebuild_parameter" ||
          name == "torch._utils._rebuild_parameter_with_state") {
        SP_CHECK(!args->items.empty() && args->items[0]->is(Value::Kind::Tensor), what_,
                 ": expected a tensor as first argument to ", name);
        return args->items[0];
      }
    }
    auto obj = make(Value::Kind::Object);
    obj->s = callable->is(Value::Kind::Global) ? callable->s : callable->describe();
    add(obj, args->items);
    return obj;
  }

  const uint8_t* data_;
  size_t size_;
  size_t& pos_;
  const PersistentLoad& persistent_load_;
  const std::string& what_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
};

}  // namespace

std::string Value::describe() const {
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return i ? "True" : "False";
    case Kind::Int:
      return "int " + std::to_string(i);
    case Kind::BigInt:
      return "long of " + std::to_string(s.size()) + " bytes";
    case Kind::Float:
      return "float " + std::to_string(f);
    case Kind::String:
      return "str '" + s.substr(0, 40) + "'";
    case Kind::Tuple:
      return "tuple of " + std::to_string(items.size());
    case Kind::List:
      return "list of " + std::to_string(items.size());
    case Kind::Dict:
      return "dict of " + std::to_string(items.size() / 2);
    case Kind::Global:
      return "global " + s;
    case Kind::Tensor:
      return "tensor " + tensor.meta();
    case Kind::Object:
      return "object " + s;
  }
  return "?";
}

ValuePtr load(const uint8_t* data, size_t size, size_t& pos, const PersistentLoad& persistent_load,
              const std::string& what) {
  return Machine(data, size, pos, persistent_load, what).run();
}

DType storage_dtype(const std::string& global, const std::string& what) {
  static const std::map<std::string, DType> types = {
      {"torch.FloatStorage", DType::F32}, {"torch.DoubleStorage", DType::F64},
      {"torch.HalfStorage", DType::F16},  {"torch.BFloat16Storage", DType::BF16},
      {"torch.IntStorage", DType::I32},   {"torch.LongStorage", DType::I64},
      {"torch.ByteStorage", DType::U8},   {"torch.BoolStorage", DType::Bool},
  };
  auto it = types.find(global);
  SP_CHECK(it != types.end(), what,
           ": expected a storage type of f32, f64, f16, bf16, i32, i64, u8 or bool, got ", global);
  return it->second;
}

}  // namespace sp::nn::pickle
