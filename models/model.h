// The model contract (pixlib/Glue Factory's BaseModel in C++) and the model registry.
//
// A model is an nn::Module built from a typed config. The trainer hands it a Batch (named
// tensors from the data pipeline), calls forward() for named predictions, loss() for the
// per-item losses ("total" is what is optimized) and metrics() for per-item numbers to
// log. Lookups of a missing name fail with the name and the names present, so a model fed
// the wrong dataset says what it expected.
//
// Two kinds of model build on it: an Extractor (models/extractor.h: images -> keypoints,
// scores, descriptors) and a Matcher (models/matcher.h: two feature sets -> matches);
// their data crosses the batch boundary as features::Features / features::Matches with
// Glue Factory's key names. A two-view pipeline (models/two_view_pipeline.h) chains them.
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
  const std::map<std::string, V>& items() const { return items_; }

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

// Batch <-> the plain maps of features/ (keypoints0, descriptors0, ...).
Batch make_batch(const std::map<std::string, Tensor>& tensors);

struct Losses {
  ag::Var total;  // scalar, the objective (mean over the batch)
  // Scalar parts for logging ("detector", "total", ...): detached 0-dim tensors on the
  // model's device, read back by the trainer only when it logs (no sync per step).
  std::map<std::string, Tensor> terms;
};

// Typed reads of a model's config entries (the "model.*" table of an experiment). The
// trainer's strict TOML reader implements it, so unknown keys fail there; tests and
// apps may use MapConfig. Keys are relative to the model table ("descriptor_dim").
// Sub-tables ("extractor" in [model.extractor]) are views of their own, so a pipeline
// hands each component its table; lists read as vectors (channels = [16, 32, 64]).
class ConfigView {
 public:
  virtual ~ConfigView() = default;
  virtual bool get_bool(const std::string& key, bool fallback) = 0;
  virtual int64_t get_int(const std::string& key, int64_t fallback) = 0;
  virtual double get_double(const std::string& key, double fallback) = 0;
  virtual std::string get_string(const std::string& key, const std::string& fallback) = 0;
  virtual std::vector<int64_t> get_int_list(const std::string& key,
                                            const std::vector<int64_t>& fallback) = 0;
  virtual std::vector<double> get_double_list(const std::string& key,
                                              const std::vector<double>& fallback) = 0;
  // True when `key` (a value or a sub-table) is present.
  virtual bool has(const std::string& key) const = 0;
  // The view of sub-table `table` (present or not: then every key takes its fallback).
  virtual std::unique_ptr<ConfigView> sub(const std::string& table) = 0;
};

// A ConfigView over string values ("0.5", "true", "[1, 2]"); dotted keys
// ("extractor.name") form the sub-tables. Unparsable values name the key.
class MapConfig : public ConfigView {
 public:
  MapConfig() = default;
  explicit MapConfig(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  bool get_bool(const std::string& key, bool fallback) override;
  int64_t get_int(const std::string& key, int64_t fallback) override;
  double get_double(const std::string& key, double fallback) override;
  std::string get_string(const std::string& key, const std::string& fallback) override;
  std::vector<int64_t> get_int_list(const std::string& key,
                                    const std::vector<int64_t>& fallback) override;
  std::vector<double> get_double_list(const std::string& key,
                                      const std::vector<double>& fallback) override;
  bool has(const std::string& key) const override;
  std::unique_ptr<ConfigView> sub(const std::string& table) override;

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
  // Scalar metrics for logging and validation (means over the batch), beyond the loss
  // terms (the trainer logs those itself: metrics() must not compute the loss again).
  virtual std::map<std::string, double> metrics(const Predictions& pred, const Batch& batch) = 0;
  // A picture of the predictions for TensorBoard and the experiment's images/ folder
  // (detections over ground truth, matches): RGB [3, H, W] f32 in [0, 1] on the CPU
  // (data/pictures.h), or undefined for none. At most `max_images` images of the batch.
  virtual Tensor summary_image(const Predictions& pred, const Batch& batch, int64_t max_images);

  // forward() after checking required_keys().
  Predictions run(const Batch& batch);
  // Loads pretrained weights by name, strictly (nn::load_weights: an sp .h5 state dict
  // or checkpoint, or a PyTorch .pth). Models whose official files wrap the state dict
  // under a key of their own (DISK: "extractor") override it to look there.
  virtual void load_pretrained(const std::string& path);
  // The sides of the images the model takes must be multiples of this (SuperPoint: 8,
  // its cell); 1 when it takes any size (or pads itself). Datasets check it up front.
  virtual int64_t image_size_multiple() const { return 1; }
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
