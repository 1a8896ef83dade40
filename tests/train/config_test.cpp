#include "train/config.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"

namespace sp::train {
namespace {

const char* kToml = R"(
name = "magicpoint"
[train]
lr = 0.001
batch_size = 64
steps = [10, 20]
[data]
augment = true
)";

TEST(Config, ReadsTypedValuesWithDefaults) {
  Config c = Config::from_string(kToml, "exp.toml");
  ConfigReader r(c);
  EXPECT_EQ(r.get<std::string>("name", ""), "magicpoint");
  EXPECT_DOUBLE_EQ(r.get<double>("train.lr", 0.0), 0.001);
  EXPECT_EQ(r.get<int64_t>("train.batch_size", 1), 64);
  EXPECT_EQ(r.get<std::vector<int64_t>>("train.steps", {}), (std::vector<int64_t>{10, 20}));
  EXPECT_TRUE(r.get<bool>("data.augment", false));
  EXPECT_EQ(r.get<int64_t>("train.workers", 2), 2);
  EXPECT_NO_THROW(r.finish());
}

TEST(Config, UnknownKeySuggestsTheNearestKnownOne) {
  Config c = Config::from_string("[train]\nlr_shedule = \"cosine\"\n", "exp.toml");
  ConfigReader r(c);
  r.get<std::string>("train.lr_schedule", "constant");
  EXPECT_SP_ERROR(r.finish(),
                  "unknown key train.lr_shedule in exp.toml; did you mean train.lr_schedule?");
}

TEST(Config, OverridesParseTomlValuesAndCreateTables) {
  Config c = Config::from_string(kToml);
  c.apply_overrides({"train.lr=0.01", "data.batch_size=8", "model.name=superpoint",
                     "train.steps=[1, 2, 3]", "data.augment=false"});
  ConfigReader r(c);
  EXPECT_DOUBLE_EQ(r.get<double>("train.lr", 0), 0.01);
  EXPECT_EQ(r.get<int64_t>("data.batch_size", 0), 8);
  EXPECT_EQ(r.get<std::string>("model.name", ""), "superpoint");
  EXPECT_EQ(r.get<std::vector<int64_t>>("train.steps", {}).size(), 3u);
  EXPECT_FALSE(r.get<bool>("data.augment", true));
  EXPECT_SP_ERROR(c.apply_override("train.lr"), "a.b=value");
  EXPECT_SP_ERROR(c.apply_override("name.x=1"), "name is a value");
}

TEST(Config, WrongTypeNamesKeyAndTypes) {
  Config c = Config::from_string("[train]\nlr = \"fast\"\n", "exp.toml");
  ConfigReader r(c);
  EXPECT_SP_ERROR(r.get<double>("train.lr", 0),
                  "expected a number for train.lr in exp.toml, got a string");
  EXPECT_SP_ERROR(r.require<int64_t>("train.steps"), "expected key train.steps");
}

TEST(Config, ParseErrorNamesLine) {
  EXPECT_SP_ERROR(Config::from_string("a = 1\nb = = 2\n", "bad.toml"),
                  "bad.toml, got an error at line 2");
  EXPECT_SP_ERROR(Config::from_file("/nonexistent/x.toml"), "/nonexistent/x.toml");
}

TEST(Config, ResolvedTomlRoundTrips) {
  Config c = Config::from_string(kToml);
  c.apply_override("train.lr=0.5");
  Config back = Config::from_string(c.to_toml());
  ConfigReader r(back);
  EXPECT_DOUBLE_EQ(r.get<double>("train.lr", 0), 0.5);
  EXPECT_EQ(r.get<std::string>("name", ""), "magicpoint");
}

TEST(Config, MergeLayersTables) {
  Config base = Config::from_string(kToml);
  base.merge(Config::from_string("[train]\nlr = 0.2\n"));
  ConfigReader r(base);
  EXPECT_DOUBLE_EQ(r.get<double>("train.lr", 0), 0.2);
  EXPECT_EQ(r.get<int64_t>("train.batch_size", 0), 64);
}

}  // namespace
}  // namespace sp::train
