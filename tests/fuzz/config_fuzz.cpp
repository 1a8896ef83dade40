// TOML configs and `a.b=value` overrides (train/config.cpp).
//
// Input: the TOML text, then optionally a NUL byte and NUL-separated overrides
// ("train.lr=0.1\0data.size=[1, 2]"). Properties: the resolved config (to_toml(), which
// an experiment folder stores and --restore reads back) parses again to the same text;
// every key can be read as each typed value or fails with sp::Error; finish() accepts a
// config whose keys were all read.
#include <functional>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "train/config.h"

namespace {

using sp::fuzz::accepts;
using sp::train::Config;
using sp::train::ConfigReader;

// Every dotted key that holds a value (tables are walked), as ConfigReader names them.
std::vector<std::string> leaves(const Config& c, const std::string& table = "") {
  std::vector<std::string> out;
  for (const std::string& k : c.keys(table)) {
    if (k.empty() || k.find('.') != std::string::npos) continue;  // quoted keys: no dotted name
    const std::string full = table.empty() ? k : table + "." + k;
    std::vector<std::string> below = c.keys(full);
    if (below.empty())
      out.push_back(full);
    else
      for (auto& b : leaves(c, full)) out.push_back(b);
  }
  return out;
}

void read_typed(const Config& c) {
  ConfigReader reader(c);
  for (const std::string& key : leaves(c)) {
    accepts([&] { reader.get<bool>(key, false); });
    accepts([&] { reader.get<int64_t>(key, 0); });
    accepts([&] { reader.get<int>(key, 0); });
    accepts([&] { reader.get<double>(key, 0.0); });
    accepts([&] { reader.get<float>(key, 0.0f); });
    accepts([&] { reader.get<std::string>(key, ""); });
    accepts([&] { reader.get<std::vector<int64_t>>(key, {}); });
    accepts([&] { reader.get<std::vector<double>>(key, {}); });
    accepts([&] { reader.get<std::vector<std::string>>(key, {}); });
    accepts([&] { reader.require<std::string>(key); });
  }
  // Keys that may be present in empty tables only: finish() must not reject what was read.
  accepts([&] { reader.finish(); });
  ConfigReader strict(
      c);  // nothing read: finish() names the first key (or passes when there is none)
  accepts([&] { strict.finish(); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string text = input.substr(0, nul);
  std::vector<std::string> overrides;
  if (nul != std::string::npos)
    for (size_t at = nul + 1; at <= input.size();) {
      size_t end = std::min(input.find('\0', at), input.size());
      overrides.push_back(input.substr(at, end - at));
      at = end + 1;
    }

  Config config;
  if (!accepts([&] { config = Config::from_string(text, "fuzz.toml"); })) {
    if (overrides.empty()) return 0;
    config = Config();  // overrides on an empty config, as `sptrain` with no --conf
  }
  for (const std::string& o : overrides) accepts([&] { config.apply_override(o); });

  std::string resolved;
  SP_FUZZ_ASSERT(accepts([&] { resolved = config.to_toml(); }));
  Config again;
  SP_FUZZ_ASSERT(accepts([&] { again = Config::from_string(resolved, "config.toml"); }));
  SP_FUZZ_ASSERT(again.to_toml() == resolved);

  read_typed(config);
  Config merged = again;
  merged.merge(config);
  for (const std::string& key : leaves(config)) {
    SP_FUZZ_ASSERT(config.has(key));
    Config erased = config;
    SP_FUZZ_ASSERT(erased.erase(key));
  }
  return 0;
}
