// The model contract (pixlib/Glue Factory's BaseModel in C++) and the model registry.
//
// A model is an nn::Module built from a typed config. The trainer hands it a Batch (named
// tensors from the data pipeline), calls forward() for named predictions, loss() for the
// per-item losses ("total" is what is optimized) and metrics() for per-item numbers to
// log. Lookups of a missing name fail with the name and the names present, so a model fed
// the wrong dataset says what it expected.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/var.h"
#include "nn/module.h"
#include "tensor/tensor.h"

namespace sp::models {

// An ordered-by-name map whose lookups name what is missing. `what` ("batch",
// "predictions") appears in the error.
template <typename V>
class NamedMap {
 public:
  explicit NamedMap(std::string what = "map") : what_(std::move(what)) {}

  void set(const std::string& key, V value) { items_[key] = std::move(value); }
  bool has(const std::string& key) const { return items_.count(key) != 0; }
  const V& at(const std::string& key) const;
  std::vector<std::string> keys() const;
  // Throws naming the first missing key and the keys present.
  void require(const std::vector<std::string>& keys) const;
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  size_t size() const { return items_.size(); }

 private:
  std::string what_;
  std::map<std::string, V> items_;
};

// What the data pipeline gives a model: "image" [B, 1, H, W], "keypoint_map", ...
using Batch = NamedMap<Tensor>;
// What a model's forward returns: differentiable outputs ("logits", "descriptors", ...).
using Predictions = NamedMap<ag::Var>;

// Every tensor of `batch` moved to `device` (tensors already there are shared).
Batch to_device(const Batch& batch, Device device);

struct Losses {
  ag::Var total;                        // scalar, the objective (mean over the batch)
  std::map<std::string, double> terms;  // scalar parts for logging ("detector", ...)
};

// Typed reads of a model's config entries (the "model.*" table of an experiment). The
// trainer's strict TOML reader implements it, so unknown keys fail there; tests and
// apps may use MapConfig. Keys are relative to the model table ("descriptor_dim").
class ConfigView {
 public:
  virtual ~ConfigView() = default;
  virtual bool get_bool(const std::string& key, bool fallback) = 0;
  virtual int64_t get_int(const std::string& key, int64_t fallback) = 0;
  virtual double get_double(const std::string& key, double fallback) = 0;
  virtual std::string get_string(const std::string& key, const std::string& fallback) = 0;
};

// A ConfigView over string values ("0.5", "true"); unparsable values name the key.
class MapConfig : public ConfigView {
 public:
  MapConfig() = default;
  explicit MapConfig(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  bool get_bool(const std::string& key, bool fallback) override;
  int64_t get_int(const std::string& key, int64_t fallback) override;
  double get_double(const std::string& key, double fallback) override;
  std::string get_string(const std::string& key, const std::string& fallback) override;

 private:
  std::map<std::string, std::string> values_;
};

class Model : public nn::Module {
 public:
  using nn::Module::Module;

  // Batch keys forward() needs; checked by run() before every forward.
  virtual std::vector<std::string> required_keys() const = 0;
  virtual Predictions forward(const Batch& batch) = 0;
  virtual Losses loss(const Predictions& pred, const Batch& batch) = 0;
  // Scalar metrics for logging and validation (means over the batch).
  virtual std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) = 0;

  // forward() after checking required_keys().
  Predictions run(const Batch& batch);
};

using ModelFactory = std::function<std::shared_ptr<Model>(ConfigView& config)>;

// Registry of model names ("magicpoint", "superpoint"). Registration happens in
// register_builtin_models() (explicit, so static libraries keep every model).
void register_model(const std::string& name, ModelFactory factory);
// Throws naming the unknown model and the registered names.
std::shared_ptr<Model> create_model(const std::string& name, ConfigView& config);
std::vector<std::string> registered_models();
void register_builtin_models();  // idempotent; defined in models/builtin.cpp

}  // namespace sp::models
