#include "procedures/matcher_hpatches.h"

#include <memory>
#include <set>

#include "autograd/grad_mode.h"
#include "models/matcher.h"
#include "models/model.h"
#include "procedures/commands.h"
#include "tensor/check.h"

namespace sp::procedures {

namespace {

// A MapConfig that remembers the keys the model read, so a misspelt entry is an error
// instead of a silent default. Dotted keys (sub-tables) are not tracked.
class TrackingConfig : public models::ConfigView {
 public:
  explicit TrackingConfig(const std::map<std::string, std::string>& values) : map_(values) {}
  bool get_bool(const std::string& k, bool f) override { return read(k), map_.get_bool(k, f); }
  int64_t get_int(const std::string& k, int64_t f) override { return read(k), map_.get_int(k, f); }
  double get_double(const std::string& k, double f) override {
    return read(k), map_.get_double(k, f);
  }
  std::string get_string(const std::string& k, const std::string& f) override {
    return read(k), map_.get_string(k, f);
  }
  std::vector<int64_t> get_int_list(const std::string& k, const std::vector<int64_t>& f) override {
    return read(k), map_.get_int_list(k, f);
  }
  std::vector<double> get_double_list(const std::string& k, const std::vector<double>& f) override {
    return read(k), map_.get_double_list(k, f);
  }
  bool has(const std::string& k) const override {
    read_.insert(k);
    return map_.has(k);
  }
  std::unique_ptr<models::ConfigView> sub(const std::string& table) override {
    return map_.sub(table);
  }
  const std::set<std::string>& read_keys() const { return read_; }

 private:
  void read(const std::string& k) const { read_.insert(k); }
  models::MapConfig map_;
  mutable std::set<std::string> read_;
};

}  // namespace

void add_matcher_entry(MatcherSpec& spec, const std::string& entry) {
  const size_t eq = entry.find('=');
  SP_CHECK(eq != std::string::npos && eq > 0,
           "speval: expected --matcher-conf key=value (e.g. ratio_threshold=0.8), got '", entry,
           "'");
  spec.config[entry.substr(0, eq)] = entry.substr(eq + 1);
}

eval::MatchFunction make_match_function(const MatcherSpec& spec) {
  models::register_builtin_models();
  TrackingConfig config(spec.config);
  std::shared_ptr<models::Model> model;
  try {
    model = models::create_model(spec.name, config);
  } catch (const std::exception& e) {
    SP_FAIL("speval: --matcher '", spec.name, "': ", e.what());
  }
  for (const auto& [key, value] : spec.config)
    SP_CHECK(key.find('.') != std::string::npos || config.read_keys().count(key),
             "speval: --matcher '", spec.name, "' has no config key '", key, "' (given as ", key,
             "=", value, ")");
  auto matcher = std::dynamic_pointer_cast<models::Matcher>(model);
  SP_CHECK(matcher != nullptr, "speval: --matcher '", spec.name,
           "' is a registered model but not a matcher (no match())");
  const Device device = parse_device(spec.device);
  matcher->to(device);
  matcher->eval();
  return [matcher, device](const features::ImageFeatures& f0, const features::ImageFeatures& f1) {
    ag::NoGradGuard no_grad;
    const features::Matches m =
        matcher->match(features::pad({f0}, 0, device), features::pad({f1}, 0, device)).to(kCPU);
    return eval::PairMatchIndices{m.pairs(0), m.pair_scores(0)};
  };
}

}  // namespace sp::procedures
