#include "models/model.h"

#include <mutex>
#include <sstream>

#include "tensor/check.h"

namespace sp::models {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

std::map<std::string, ModelFactory>& registry() {
  static std::map<std::string, ModelFactory> models;
  return models;
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

template <typename V>
const V& NamedMap<V>::at(const std::string& key) const {
  auto it = items_.find(key);
  SP_CHECK(it != items_.end(), what_, ": expected key '", key, "', got keys [", join(keys()), "]");
  return it->second;
}

template <typename V>
std::vector<std::string> NamedMap<V>::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items_) out.push_back(k);
  return out;
}

template <typename V>
void NamedMap<V>::require(const std::vector<std::string>& needed) const {
  for (const auto& key : needed) at(key);
}

template class NamedMap<Tensor>;
template class NamedMap<ag::Var>;

Batch to_device(const Batch& batch, Device device) {
  Batch out("batch");
  for (const auto& [k, t] : batch) out.set(k, t.to(device));
  return out;
}

bool MapConfig::get_bool(const std::string& key, bool fallback) {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  SP_CHECK(it->second == "true" || it->second == "false", "model config: expected true or false for key ", key,
           ", got '", it->second, "'");
  return it->second == "true";
}

int64_t MapConfig::get_int(const std::string& key, int64_t fallback) {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
  }
  SP_CHECK(used == it->second.size() && used > 0, "model config: expected an integer for key ", key, ", got '",
           it->second, "'");
  return v;
}

double MapConfig::get_double(const std::string& key, double fallback) {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(it->second, &used);
  } catch (const std::exception&) {
  }
  SP_CHECK(used == it->second.size() && used > 0, "model config: expected a number for key ", key, ", got '",
           it->second, "'");
  return v;
}

std::string MapConfig::get_string(const std::string& key, const std::string& fallback) {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

Predictions Model::run(const Batch& batch) {
  batch.require(required_keys());
  return forward(batch);
}

void register_model(const std::string& name, ModelFactory factory) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[name] = std::move(factory);
}

std::shared_ptr<Model> create_model(const std::string& name, ConfigView& config) {
  register_builtin_models();
  ModelFactory factory;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(name);
    if (it != registry().end()) factory = it->second;
  }
  SP_CHECK(factory != nullptr, "models: unknown model '", name, "'; registered: ", join(registered_models()));
  return factory(config);
}

std::vector<std::string> registered_models() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> names;
  for (const auto& [k, v] : registry()) names.push_back(k);
  return names;
}

}  // namespace sp::models
