#include "train/model_config.h"

namespace sp::train {

bool ModelConfigView::get_bool(const std::string& key, bool fallback) {
  return reader_.get<bool>(path(key), fallback);
}
int64_t ModelConfigView::get_int(const std::string& key, int64_t fallback) {
  return reader_.get<int64_t>(path(key), fallback);
}
double ModelConfigView::get_double(const std::string& key, double fallback) {
  return reader_.get<double>(path(key), fallback);
}
std::string ModelConfigView::get_string(const std::string& key, const std::string& fallback) {
  return reader_.get<std::string>(path(key), fallback);
}
std::vector<int64_t> ModelConfigView::get_int_list(const std::string& key,
                                                   const std::vector<int64_t>& fallback) {
  return reader_.get<std::vector<int64_t>>(path(key), fallback);
}
std::vector<double> ModelConfigView::get_double_list(const std::string& key,
                                                     const std::vector<double>& fallback) {
  return reader_.get<std::vector<double>>(path(key), fallback);
}
bool ModelConfigView::has(const std::string& key) const {
  return reader_.has(path(key));
}
std::unique_ptr<models::ConfigView> ModelConfigView::sub(const std::string& table) {
  return std::make_unique<ModelConfigView>(reader_, path(table));
}

std::shared_ptr<models::Model> build_model(ConfigReader& reader, const std::string& table) {
  models::register_builtin_models();
  const std::string name = reader.require<std::string>(table + ".name");
  ModelConfigView view(reader, table);
  return models::create_model(name, view);
}

std::shared_ptr<models::Model> build_model(const Config& config, const std::string& table) {
  ConfigReader reader(config);
  // Only the model table is ours here; the rest belongs to other readers.
  for (const std::string& key : config.keys())
    if (key != table) reader.allow_table(key);
  auto model = build_model(reader, table);
  reader.finish();
  return model;
}

}  // namespace sp::train
