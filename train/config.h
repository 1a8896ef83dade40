// Configuration: TOML files with `a.b=value` command-line overrides, read into typed
// structs with strict keys. A struct reads its fields through a ConfigReader, which
// remembers what was read; finish() then rejects every key nobody asked for:
//   "config: unknown key train.lr_shedule in exp.toml; did you mean train.lr_schedule?"
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace sp::train {

class Config {
 public:
  Config();
  ~Config();
  Config(const Config& other);
  Config& operator=(const Config& other);

  static Config from_file(const std::string& path);
  static Config from_string(const std::string& text, const std::string& source = "<string>");

  // Applies overrides "a.b.c=value": value is parsed as a TOML value (1, 0.5, true,
  // "text", [1, 2]); anything that does not parse is taken as a plain string.
  void apply_override(const std::string& assignment);
  void apply_overrides(const std::vector<std::string>& assignments);
  // Layers `other` on top of this config (other's values win; tables merge).
  void merge(const Config& other);

  bool has(const std::string& dotted) const;
  // The keys of the table at `dotted` ("" = the top level); empty when there is none.
  std::vector<std::string> keys(const std::string& dotted = "") const;
  // Removes the entry at `dotted` (a value or a whole table); false when absent.
  bool erase(const std::string& dotted);
  std::string source() const { return source_; }
  std::string to_toml() const;  // the resolved config, for the experiment folder
  const toml::table& table() const { return *table_; }
  toml::table& table() { return *table_; }

 private:
  std::unique_ptr<toml::table> table_;
  std::string source_;
};

// Typed, strict reading of a Config. Every get<T>() marks its key as known (whether
// present or not); finish() fails on keys that are present but were never asked for.
class ConfigReader {
 public:
  explicit ConfigReader(const Config& config) : config_(config) {}

  // The value at `dotted`, or `fallback` when absent. Wrong types name key and types.
  template <typename T>
  T get(const std::string& dotted, const T& fallback);
  // The value at `dotted`; absent is an error naming the key.
  template <typename T>
  T require(const std::string& dotted);
  bool has(const std::string& dotted) const { return config_.has(dotted); }
  // Marks a whole table as owned by someone else (read later by another reader).
  void allow_table(const std::string& dotted) { allowed_tables_.insert(dotted); }

  // Throws sp::Error for the first unknown key, with the nearest known key as a hint.
  void finish() const;

 private:
  const Config& config_;
  std::set<std::string> known_;
  std::set<std::string> allowed_tables_;
};

// Edit distance, for "did you mean" hints.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace sp::train
