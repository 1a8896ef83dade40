// A subset of Python's pickle virtual machine (protocols 2-4), enough to read what
// torch.save writes: state_dicts of tensors, nested dicts/lists, ints, floats, strings.
// Classes are never instantiated: GLOBAL/REDUCE build torch tensors through
// `PickleHooks`, and any other REDUCE yields an opaque Object value.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace sp::nn::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind {
    None,
    Bool,
    Int,
    BigInt,
    Float,
    String,
    Tuple,
    List,
    Dict,
    Global,
    Tensor,
    Object
  };
  Kind kind = Kind::None;
  int64_t i = 0;   // Bool, Int
  double f = 0.0;  // Float
  std::string s;   // String; Global "module.name"; BigInt little-endian bytes; Object's class
  std::vector<ValuePtr> items;  // Tuple, List, Object args; Dict as key, value, key, value, ...
  sp::Tensor tensor;            // Tensor (and storages, as 1-d tensors)
  // Kept by the machine: a value is `sealed` once it is inside another container, and a
  // sealed list or dict is never changed again, so no container can come to hold itself
  // (torch.save never writes recursive objects); `depth` is the nesting below it.
  bool sealed = false;
  int depth = 0;

  bool is(Kind k) const { return kind == k; }
  std::string describe() const;  // short text for error messages ("tuple of 3", "str 'cpu'")
};

// Persistent ids ('storage', type, key, location, numel, ...) are resolved by the caller.
using PersistentLoad = std::function<ValuePtr(const ValuePtr& pid)>;

// Containers nest at most this deep (Python's own recursion limit).
constexpr int kMaxDepth = 1000;

// Runs one pickle from data[pos...] up to and including STOP; advances pos past it.
// `what` names the source in errors ("pth: <file>: data.pkl").
ValuePtr load(const uint8_t* data, size_t size, size_t& pos, const PersistentLoad& persistent_load,
              const std::string& what);

// Storage class name ("torch.FloatStorage") -> dtype; throws for unsupported types.
DType storage_dtype(const std::string& global, const std::string& what);

}  // namespace sp::nn::pickle
