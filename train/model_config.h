// A table of an experiment config ("model", "model.extractor") as a models::ConfigView:
// the model reads its keys (relative to the table: "descriptor_dim" means
// model.descriptor_dim) through the trainer's strict ConfigReader, so a key no model
// asked for fails at finish():
//   "config: unknown key model.descriptor_dims in exp.toml; did you mean model.descriptor_dim?"
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/model.h"
#include "train/config.h"

namespace sp::train {

class ModelConfigView : public models::ConfigView {
 public:
  // `table` is the dotted path of the model's table ("model", "model.matcher").
  explicit ModelConfigView(ConfigReader& reader, std::string table = "model")
      : reader_(reader), table_(std::move(table)) {}

  bool get_bool(const std::string& key, bool fallback) override;
  int64_t get_int(const std::string& key, int64_t fallback) override;
  double get_double(const std::string& key, double fallback) override;
  std::string get_string(const std::string& key, const std::string& fallback) override;
  std::vector<int64_t> get_int_list(const std::string& key,
                                    const std::vector<int64_t>& fallback) override;
  std::vector<double> get_double_list(const std::string& key,
                                      const std::vector<double>& fallback) override;
  bool has(const std::string& key) const override;
  std::unique_ptr<models::ConfigView> sub(const std::string& table) override;

 private:
  std::string path(const std::string& key) const { return table_ + "." + key; }

  ConfigReader& reader_;
  std::string table_;
};

// Builds the model named by <table>.name from the config (strict: unknown model keys
// throw naming the key). The registry's builtin models are registered first.
std::shared_ptr<models::Model> build_model(const Config& config,
                                           const std::string& table = "model");
// The same, reading through a caller's reader (which must still call finish()).
std::shared_ptr<models::Model> build_model(ConfigReader& reader,
                                           const std::string& table = "model");

}  // namespace sp::train
