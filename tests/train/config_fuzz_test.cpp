// Inputs found by tests/fuzz/config_fuzz.cpp (docs/FUZZING.md).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "helpers/test_helpers.h"
#include "train/config.h"

namespace sp::train {
namespace {

// config_fuzz: to_toml() went through toml++ 3.3's formatter, which casts log10(|x|) of
// every float in an array to size_t (undefined for |x| < 1, inf and nan) and negates
// INT64_MIN: configs/magicpoint_shapes.toml's `[0.05, ...]` arrays hit it on every run.
// The resolved config now prints without that code, and parses back; a second finding,
// a key with a newline printed as a multi-line string (not a valid key), is covered too.
TEST(ConfigFuzz, ResolvedTomlOfSmallFloatsInfNanAndInt64MinRoundTrips) {
  const Config c = Config::from_string(
      "lr = [0.05, -0.001, 1e-300, inf, -inf, nan]\n"
      "n = [-9223372036854775808, 0, 7]\n"
      "\"odd key\" = { \"a.b\" = 1, c = [] }\n"
      "\"new\\nline\" = 1\n"
      "x = [[1, 2], [{ y = 0.5 }]]\n"
      "[t.u]\n"
      "v = 'text \"quoted\" \\\\'\n",
      "fuzz.toml");
  const std::string text = c.to_toml();
  EXPECT_EQ(text,  // doubles with 17 digits (exact), keys quoted where TOML needs it
            "lr = [ 0.050000000000000003, -0.001, 1e-300, inf, -inf, nan ]\n"
            "n = [ -9223372036854775808, 0, 7 ]\n"
            "\"new\\nline\" = 1\n"
            "x = [ [ 1, 2 ], [ { y = 0.5 } ] ]\n"
            "\n[\"odd key\"]\n"
            "\"a.b\" = 1\n"
            "c = []\n"
            "\n[t]\n"
            "\n[t.u]\n"
            "v = \"text \\\"quoted\\\" \\\\\\\\\"\n");
  const Config back = Config::from_string(text, "config.toml");
  EXPECT_EQ(back.to_toml(), text);
  ConfigReader r(back);
  EXPECT_DOUBLE_EQ(r.get<std::vector<double>>("lr", {})[1], -0.001);
  EXPECT_TRUE(std::isnan(r.get<std::vector<double>>("lr", {})[5]));
  EXPECT_EQ(r.get<std::vector<int64_t>>("n", {})[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.get<std::string>("t.u.v", ""), "text \"quoted\" \\\\");
}

// config_fuzz: toml++ printed the string "\n.1" as the multi-line string '\'\'\'\n.1\'\'\'', and
// TOML drops a newline right after the opening quotes: it read back as ".1". (Without
// multi-line strings it printed a literal string with a raw newline: invalid TOML.)
TEST(ConfigFuzz, StringsWithNewlinesRoundTrip) {
  Config c;
  c.apply_override("train.lr=\n.1");
  c.apply_override("a.b=x\ny\n");
  const std::string text = c.to_toml();
  EXPECT_EQ(text, "\n[a]\nb = \"x\\ny\\n\"\n\n[train]\nlr = \"\\n.1\"\n");
  const Config back = Config::from_string(text);
  ConfigReader r(back);
  EXPECT_EQ(r.get<std::string>("train.lr", ""), "\n.1");
  EXPECT_EQ(r.get<std::string>("a.b", ""), "x\ny\n");
}

// config_fuzz: an override value that is not TOML is kept as a plain string; with a
// non-UTF-8 byte (here Latin-1 0xE9) it was printed as the escape \u00E9, which reads
// back as another string (UTF-8 "é"): config.toml named another path than the run used.
TEST(ConfigFuzz, OverridesMustBeUtf8) {
  Config c;
  EXPECT_SP_ERROR(c.apply_override("data.root=/donn\xe9es"),
                  "config: expected UTF-8 text in the override");
  EXPECT_SP_ERROR(c.apply_override("data.root=\xc0\xaf"), "expected UTF-8");      // overlong '/'
  EXPECT_SP_ERROR(c.apply_override("data.root=\xed\xa0\x80"), "expected UTF-8");  // a surrogate
  c.apply_override("data.root=/donn\xc3\xa9es");
  const Config back = Config::from_string(c.to_toml());
  EXPECT_EQ(ConfigReader(back).get<std::string>("data.root", ""), "/donn\xc3\xa9es");
}

// config_fuzz: toml++ 3.3 reaches __builtin_unreachable() when it asks whether é (and
// other non-ASCII characters) is whitespace: after a value, outside strings, after a
// backslash and after a line-ending backslash. Those texts are refused before toml++
// parses them; non-ASCII text in strings and comments still reads.
TEST(ConfigFuzz, NonAsciiWhereTomlppTestsForWhitespaceIsRefused) {
  EXPECT_SP_ERROR(Config::from_string("a = 1\xc3\xa9\n", "x.toml"),
                  "config: expected valid TOML in x.toml, got a non-ASCII character outside a "
                  "string or comment at "
                  "line 1, column 6");
  EXPECT_SP_ERROR(Config::from_string("a = 1\nb = \"x\"\xc3\xa9", "x.toml"), "line 2, column 8");
  EXPECT_SP_ERROR(Config::from_string("a = \"x\\\xc3\xa9\"", "x.toml"),
                  "a non-ASCII character after a backslash");
  EXPECT_SP_ERROR(Config::from_string("a = \"\"\"x\\\n  \xc3\xa9\"\"\"", "x.toml"),
                  "non-ASCII text right after a line-ending backslash (which toml++ 3.3 cannot "
                  "read) at line 2, "
                  "column 3");
  const Config ok = Config::from_string(
      "# caf\xc3\xa9\n"
      "a = \"caf\xc3\xa9 \\\" \xc3\xa9\"\n"
      "b = '''\xce\xa9'''\n"
      "c = \"\"\"x\\\n  y \xc3\xa9\"\"\"\n",
      "ok.toml");
  ConfigReader r(ok);
  EXPECT_EQ(r.get<std::string>("a", ""), "caf\xc3\xa9 \" \xc3\xa9");
  EXPECT_EQ(r.get<std::string>("b", ""), "\xce\xa9");
  EXPECT_EQ(r.get<std::string>("c", ""), "xy \xc3\xa9");
  Config c;
  c.apply_override("model.name=\xc3\xa9t\xc3\xa9");  // not TOML: the plain string
  EXPECT_EQ(ConfigReader(c).get<std::string>("model.name", ""), "\xc3\xa9t\xc3\xa9");
}

}  // namespace
}  // namespace sp::train
