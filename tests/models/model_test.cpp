#include "models/model.h"

#include <gtest/gtest.h>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::models {
namespace {

TEST(Batch, LookupOfMissingKeyNamesKeyAndKeysPresent) {
  Batch batch("batch");
  batch.set("image", zeros({2, 1, 8, 8}));
  batch.set("valid_mask", ones({2, 8, 8}));
  EXPECT_EQ(batch.at("image").size(0), 2);
  EXPECT_SP_ERROR(batch.at("keypoint_map"),
                  "batch: expected key 'keypoint_map', got keys [image, valid_mask]");
  EXPECT_SP_ERROR(batch.require({"image", "warped_image"}), "'warped_image'");
}

TEST(MapConfig, ParsesTypedValuesAndNamesBadKeys) {
  MapConfig config({{"dim", "256"}, {"bn", "true"}, {"thr", "0.015"}, {"bad", "12x"}});
  EXPECT_EQ(config.get_int("dim", 0), 256);
  EXPECT_TRUE(config.get_bool("bn", false));
  EXPECT_DOUBLE_EQ(config.get_double("thr", 0), 0.015);
  EXPECT_EQ(config.get_int("absent", 7), 7);
  EXPECT_SP_ERROR(config.get_int("bad", 0), "expected an integer for key bad");
  EXPECT_SP_ERROR(config.get_bool("dim", false), "expected true or false for key dim");
}

class ConstantModel : public Model {
 public:
  ConstantModel() : Model("ConstantModel") { register_parameter("w", ones({1})); }
  std::vector<std::string> required_keys() const override { return {"image"}; }
  Predictions forward(const Batch& batch) override {
    Predictions p("predictions");
    p.set("out", ag::Var(batch.at("image")));
    return p;
  }
  Losses loss(const Predictions&, const Batch&) override { return {param("w"), {}}; }
  std::map<std::string, double> metrics(const Predictions&, const Batch&) override { return {}; }
};

TEST(ModelRegistry, CreatesByNameAndListsNamesOnUnknown) {
  register_model("test_constant", [](ConfigView&) { return std::make_shared<ConstantModel>(); });
  MapConfig config;
  auto model = create_model("test_constant", config);
  EXPECT_EQ(model->type_name(), "ConstantModel");
  EXPECT_SP_ERROR(create_model("no_such_model", config),
                  "unknown model 'no_such_model'; registered:");
  EXPECT_SP_ERROR(create_model("no_such_model", config), "test_constant");

  Batch batch("batch");
  EXPECT_SP_ERROR(model->run(batch), "expected key 'image'");
  batch.set("image", zeros({1, 1, 4, 4}));
  EXPECT_EQ(model->run(batch).at("out").numel(), 16);
}

}  // namespace
}  // namespace sp::models
