#include "train/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <sstream>

#include "tensor/check.h"

namespace sp::train {

Config::Config() : table_(std::make_unique<toml::table>()) {}
Config::~Config() = default;
Config::Config(const Config& other)
    : table_(std::make_unique<toml::table>(*other.table_)), source_(other.source_) {}
Config& Config::operator=(const Config& other) {
  table_ = std::make_unique<toml::table>(*other.table_);
  source_ = other.source_;
  return *this;
}

namespace {
// toml++ 3.3 (Debian bookworm) reaches __builtin_unreachable() when it asks whether some
// non-ASCII characters are whitespace (U+00A1..U+0499 among them: é, ü, Ω, Ж; found by
// tests/fuzz/config_fuzz), which it asks wherever TOML allows whitespace: outside strings
// and comments, after a backslash in a basic string, and after a line-ending backslash in
// a multi-line one. TOML allows non-ASCII text only in strings and comments, and no
// escape starts with one, so the first two are errors anyway; the third is valid but
// rare. All three are refused here, before toml++ sees the text. Returns "" or the
// problem with its line and column.
std::string unsafe_for_tomlpp(std::string_view t) {
  size_t line = 1, line_start = 0;
  auto at = [&](size_t i, const char* what) {
    return std::string(what) + " at line " + std::to_string(line) + ", column " +
           std::to_string(i - line_start + 1);
  };
  auto non_ascii = [&](size_t i) {
    return i < t.size() && static_cast<unsigned char>(t[i]) >= 0x80;
  };
  auto newline = [&](size_t i) {
    ++line;
    line_start = i + 1;
  };
  for (size_t i = 0; i < t.size();) {
    const char c = t[i];
    if (c == '\n') {
      newline(i++);
    } else if (c == '#') {  // a comment: anything up to the end of the line
      while (i < t.size() && t[i] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      const bool multi = t.compare(i, 3, std::string(3, c)) == 0, basic = c == '"';
      i += multi ? 3 : 1;
      while (i < t.size()) {
        if (t.compare(i, multi ? 3 : 1, std::string(multi ? 3 : 1, c)) == 0) {
          i += multi ? 3 : 1;
          while (multi && i < t.size() && t[i] == c)
            ++i;  // """a"""" ends with a quote in the string
          break;
        }
        if (t[i] == '\n') {
          if (!multi) break;  // an unterminated string: toml++ stops there
          newline(i);
        }
        if (basic && t[i] == '\\') {
          if (non_ascii(i + 1)) return at(i + 1, "a non-ASCII character after a backslash");
          size_t j = i + 1;  // a line-ending backslash: toml++ skips whitespace and newlines
          while (multi && j < t.size() &&
                 (t[j] == ' ' || t[j] == '\t' || t[j] == '\r' || t[j] == '\n')) {
            if (t[j] == '\n') newline(j);
            ++j;
          }
          if (j > i + 1 && non_ascii(j))
            return at(j,
                      "non-ASCII text right after a line-ending backslash (which toml++ 3.3 cannot "
                      "read)");
          i = j > i + 1 ? j : i + 2;
          continue;
        }
        ++i;
      }
    } else if (non_ascii(i)) {
      return at(i, "a non-ASCII character outside a string or comment");
    } else {
      ++i;
    }
  }
  return "";
}
}  // namespace

Config Config::from_string(const std::string& text, const std::string& source) {
  Config c;
  c.source_ = source;
  const std::string unsafe = unsafe_for_tomlpp(text);
  SP_CHECK(unsafe.empty(), "config: expected valid TOML in ", source, ", got ", unsafe);
  try {
    *c.table_ = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    SP_FAIL("config: expected valid TOML in ", source, ", got an error at line ", where.line,
            ", column ", where.column, ": ", e.description());
  }
  return c;
}

Config Config::from_file(const std::string& path) {
  std::ifstream in(path);
  SP_CHECK(in.good(), "config: expected a readable TOML file at ", path, ", got nothing there");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_string(ss.str(), path);
}

namespace {
std::vector<std::string> split_dotted(const std::string& dotted) {
  std::vector<std::string> parts;
  std::stringstream ss(dotted);
  std::string p;
  while (std::getline(ss, p, '.')) parts.push_back(p);
  return parts;
}

const toml::node* find(const toml::table& t, const std::string& dotted) {
  const toml::node* node = &t;
  for (const std::string& part : split_dotted(dotted)) {
    const toml::table* tbl = node->as_table();
    if (!tbl) return nullptr;
    node = tbl->get(part);
    if (!node) return nullptr;
  }
  return node;
}

// Parses the right-hand side of an override as a TOML value.
toml::node_view<toml::node> parse_value(toml::table& scratch, const std::string& text) {
  try {
    if (!unsafe_for_tomlpp(text).empty())
      throw toml::parse_error("", {}, {});  // not TOML: a plain string
    scratch = toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
    scratch = toml::table{};
    scratch.insert("v", text);
  }
  return scratch["v"];
}

void merge_into(toml::table& dst, const toml::table& src) {
  for (const auto& [key, node] : src) {
    toml::node* existing = dst.get(key);
    if (existing && existing->is_table() && node.is_table()) {
      merge_into(*existing->as_table(), *node.as_table());
    } else {
      dst.insert_or_assign(key, node);
    }
  }
}
}  // namespace

namespace {
// Whether `s` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF),
// as TOML requires of every document.
bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t n = b < 0x80           ? 1
                     : (b >> 5) == 0x6  ? 2
                     : (b >> 4) == 0xE  ? 3
                     : (b >> 3) == 0x1E ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c >> 6) != 0x2) return false;
      cp = cp << 6 | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}
}  // namespace

void Config::apply_override(const std::string& assignment) {
  // Non-UTF-8 bytes would be stored escaped as other characters (\u00E9 for a Latin-1
  // 0xE9), so the resolved config.toml would name, say, another path than the override.
  SP_CHECK(valid_utf8(assignment), "config: expected UTF-8 text in the override '", assignment,
           "', got other bytes; hint: pass paths and strings in UTF-8");
  size_t eq = assignment.find('=');
  SP_CHECK(eq != std::string::npos && eq > 0,
           "config: expected an override of the form a.b=value, got '", assignment, "'");
  const std::string key = assignment.substr(0, eq);
  std::vector<std::string> parts = split_dotted(key);
  toml::table* tbl = table_.get();
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* next = tbl->get(parts[i]);
    if (!next) {
      tbl->insert(parts[i], toml::table{});
      next = tbl->get(parts[i]);
    }
    SP_CHECK(next->is_table(), "config: cannot override ", key, ": ", parts[i],
             " is a value, not a table");
    tbl = next->as_table();
  }
  toml::table scratch;
  auto value = parse_value(scratch, assignment.substr(eq + 1));
  tbl->insert_or_assign(parts.back(), *value.node());
}

void Config::apply_overrides(const std::vector<std::string>& assignments) {
  for (const std::string& a : assignments) apply_override(a);
}

void Config::merge(const Config& other) {
  merge_into(*table_, *other.table_);
}

bool Config::has(const std::string& dotted) const {
  return find(*table_, dotted) != nullptr;
}

std::vector<std::string> Config::keys(const std::string& dotted) const {
  std::vector<std::string> out;
  const toml::node* n = dotted.empty() ? table_.get() : find(*table_, dotted);
  if (!n || !n->is_table()) return out;
  for (const auto& [key, node] : *n->as_table()) out.emplace_back(key.str());
  return out;
}

bool Config::erase(const std::string& dotted) {
  const size_t dot = dotted.rfind('.');
  const toml::node* parent =
      dot == std::string::npos ? table_.get() : find(*table_, dotted.substr(0, dot));
  if (!parent || !parent->is_table()) return false;
  toml::table* t = const_cast<toml::table*>(parent->as_table());
  return t->erase(dot == std::string::npos ? dotted : dotted.substr(dot + 1)) > 0;
}

namespace {
// The resolved config is printed here rather than by toml++ 3.3's formatter, which, to
// decide whether an array fits on one line, casts log10(|x|) to size_t: undefined for
// any |x| < 1, inf or nan, and it negates INT64_MIN (found by tests/fuzz/config_fuzz on
// configs/magicpoint_shapes.toml). Same TOML: `key = value` lines, then [dotted.table]
// sections; arrays and tables inside arrays inline; scalars printed by toml++ (strings
// as basic strings).
std::string key_text(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (bare) return std::string(key);
  std::ostringstream
      os;  // a basic string with escapes: keys cannot be multi-line or literal strings
  os << toml::toml_formatter(toml::value<std::string>(std::string(key)), toml::format_flags::none);
  return os.str();
}

void print_inline(std::ostream& os, const toml::node& node) {
  if (const toml::array* a = node.as_array()) {
    os << '[';
    for (size_t i = 0; i < a->size(); ++i) {
      os << (i ? ", " : " ");
      print_inline(os, *a->get(i));
    }
    os << (a->empty() ? "]" : " ]");
  } else if (const toml::table* t = node.as_table()) {
    os << '{';
    bool first = true;
    for (const auto& [key, value] : *t) {
      os << (first ? " " : ", ") << key_text(key.str()) << " = ";
      print_inline(os, value);
      first = false;
    }
    os << (first ? "}" : " }");
  } else {
    // Strings as basic strings with escapes: toml++ prints "\n.1" as a multi-line string,
    // whose first newline TOML drops, or (multi-line off) as a literal with a raw newline.
    constexpr auto flags = toml::toml_formatter::default_flags &
                           ~toml::format_flags::allow_multi_line_strings &
                           ~toml::format_flags::allow_literal_strings;
    node.visit([&](const auto& value) { os << toml::toml_formatter(value, flags); });
  }
}

void print_table(std::ostream& os, const toml::table& table, const std::string& header) {
  for (const auto& [key, value] : table) {
    if (value.is_table()) continue;
    os << key_text(key.str()) << " = ";
    print_inline(os, value);
    os << '\n';
  }
  for (const auto& [key, value] : table) {
    if (!value.is_table()) continue;
    const std::string name =
        header.empty() ? key_text(key.str()) : header + "." + key_text(key.str());
    os << "\n[" << name << "]\n";
    print_table(os, *value.as_table(), name);
  }
}
}  // namespace

std::string Config::to_toml() const {
  std::ostringstream os;
  print_table(os, *table_, "");
  return os.str();
}

// ---- typed reading -----------------------------------------------------------------

namespace {
template <typename T>
const char* type_name() {
  if constexpr (std::is_same_v<T, bool>)
    return "a boolean";
  else if constexpr (std::is_integral_v<T>)
    return "an integer";
  else if constexpr (std::is_floating_point_v<T>)
    return "a number";
  else if constexpr (std::is_same_v<T, std::string>)
    return "a string";
  else
    return "an array";
}

const char* node_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

template <typename T>
std::optional<T> convert_node(const toml::node& n) {
  if constexpr (std::is_same_v<T, bool>) {
    return n.value_exact<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (auto v = n.value_exact<int64_t>()) return T(*v);
    return std::nullopt;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto v = n.value_exact<double>()) return T(*v);
    if (auto v = n.value_exact<int64_t>()) return T(*v);
    return std::nullopt;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return n.value_exact<std::string>();
  } else {  // std::vector<E>
    using E = typename T::value_type;
    const toml::array* arr = n.as_array();
    if (!arr) return std::nullopt;
    T out;
    for (const toml::node& item : *arr) {
      std::optional<E> v = convert_node<E>(item);
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    return out;
  }
}
}  // namespace

template <typename T>
T ConfigReader::get(const std::string& dotted, const T& fallback) {
  known_.insert(dotted);
  const toml::node* n = find(config_.table(), dotted);
  if (!n) return fallback;
  std::optional<T> v = convert_node<T>(*n);
  SP_CHECK(v.has_value(), "config: expected ", type_name<T>(), " for ", dotted, " in ",
           config_.source(), ", got ", node_type_name(*n));
  return *v;
}

template <typename T>
T ConfigReader::require(const std::string& dotted) {
  SP_CHECK(config_.has(dotted), "config: expected key ", dotted, " in ", config_.source(),
           ", got none");
  return get<T>(dotted, T{});
}

#define SP_CONFIG_TYPE(T)                                        \
  template T ConfigReader::get<T>(const std::string&, const T&); \
  template T ConfigReader::require<T>(const std::string&);
SP_CONFIG_TYPE(bool)
SP_CONFIG_TYPE(int)
SP_CONFIG_TYPE(int64_t)
SP_CONFIG_TYPE(double)
SP_CONFIG_TYPE(float)
SP_CONFIG_TYPE(std::string)
SP_CONFIG_TYPE(std::vector<int64_t>)
SP_CONFIG_TYPE(std::vector<double>)
SP_CONFIG_TYPE(std::vector<std::string>)
#undef SP_CONFIG_TYPE

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

void ConfigReader::finish() const {
  std::vector<std::string> leaves;
  std::function<void(const toml::table&, const std::string&)> walk =
      [&](const toml::table& t, const std::string& prefix) {
        for (const auto& [key, node] : t) {
          std::string full =
              prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
          if (allowed_tables_.count(full) || known_.count(full)) continue;
          if (node.is_table())
            walk(*node.as_table(), full);
          else
            leaves.push_back(full);
        }
      };
  walk(config_.table(), "");
  if (leaves.empty()) return;
  const std::string& unknown = leaves.front();
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const std::string& k : known_) {
    size_t d = edit_distance(unknown, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  std::string hint = (!best.empty() && best_d <= std::max<size_t>(3, unknown.size() / 4))
                         ? "; did you mean " + best + "?"
                         : "";
  SP_FAIL("config: unknown key ", unknown, " in ", config_.source(), hint);
}

}  // namespace sp::train
