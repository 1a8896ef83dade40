#include "models/model.h"

#include <mutex>
#include <sstream>

#include "nn/module.h"
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
  SP_CHECK(it->second == "true" || it->second == "false",
           "model config: expected true or false for key ", key, ", got '", it->second, "'");
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
  SP_CHECK(used == it->second.size() && used > 0, "model config: expected an integer for key ", key,
           ", got '", it->second, "'");
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
  SP_CHECK(used == it->second.size() && used > 0, "model config: expected a number for key ", key,
           ", got '", it->second, "'");
  return v;
}

std::string MapConfig::get_string(const std::string& key, const std::string& fallback) {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

namespace {

// "[1, 2, 3]" (or "1, 2, 3") -> its items as strings.
std::vector<std::string> list_items(const std::string& key, const std::string& text) {
  std::string body = text;
  if (!body.empty() && body.front() == '[') {
    SP_CHECK(body.back() == ']', "model config: expected a list [a, b, ...] for key ", key,
             ", got '", text, "'");
    body = body.substr(1, body.size() - 2);
  }
  std::vector<std::string> items;
  std::stringstream in(body);
  for (std::string item; std::getline(in, item, ',');) {
    const size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    if (a != std::string::npos) items.push_back(item.substr(a, b - a + 1));
  }
  return items;
}

template <typename T, typename Parse>
std::vector<T> parse_list(const std::map<std::string, std::string>& values, const std::string& key,
                          const std::vector<T>& fallback, Parse parse) {
  auto it = values.find(key);
  if (it == values.end()) return fallback;
  std::vector<T> out;
  for (const std::string& item : list_items(key, it->second)) {
    MapConfig one(std::map<std::string, std::string>{{key, item}});
    out.push_back(parse(one));
  }
  return out;
}

}  // namespace

std::vector<int64_t> MapConfig::get_int_list(const std::string& key,
                                             const std::vector<int64_t>& fallback) {
  return parse_list<int64_t>(values_, key, fallback,
                             [&](MapConfig& one) { return one.get_int(key, 0); });
}

std::vector<double> MapConfig::get_double_list(const std::string& key,
                                               const std::vector<double>& fallback) {
  return parse_list<double>(values_, key, fallback,
                            [&](MapConfig& one) { return one.get_double(key, 0); });
}

bool MapConfig::has(const std::string& key) const {
  if (values_.count(key)) return true;
  auto it = values_.lower_bound(key + ".");
  return it != values_.end() && it->first.rfind(key + ".", 0) == 0;
}

std::unique_ptr<ConfigView> MapConfig::sub(const std::string& table) {
  std::map<std::string, std::string> inner;
  const std::string prefix = table + ".";
  for (const auto& [k, v] : values_)
    if (k.rfind(prefix, 0) == 0) inner[k.substr(prefix.size())] = v;
  return std::make_unique<MapConfig>(std::move(inner));
}

Batch make_batch(const std::map<std::string, Tensor>& tensors) {
  Batch out("batch");
  for (const auto& [k, t] : tensors) out.set(k, t);
  return out;
}

Tensor Model::summary_image(const Predictions&, const Batch&, int64_t) {
  return Tensor();
}

Predictions Model::run(const Batch& batch) {
  batch.require(required_keys());
  return forward(batch);
}

void Model::load_pretrained(const std::string& path) {
  nn::load_weights(*this, path, /*strict=*/true);
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
  SP_CHECK(factory != nullptr, "models: unknown model '", name,
           "'; registered: ", join(registered_models()));
  return factory(config);
}

std::vector<std::string> registered_models() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> names;
  for (const auto& [k, v] : registry()) names.push_back(k);
  return names;
}

}  // namespace sp::models
