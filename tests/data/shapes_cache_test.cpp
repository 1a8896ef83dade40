#include "data/shapes_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "data/datasets.h"
#include "helpers/test_helpers.h"
#include "tensor/io/hdf5.h"

namespace sp::data {
namespace {

namespace fs = std::filesystem;

ShapesConfig tiny_shapes() {
  ShapesConfig c;
  c.canvas_height = 120, c.canvas_width = 160, c.blur_size = 5, c.height = 30, c.width = 40;
  c.split_sizes = {6, 3, 3};
  return c;
}

TEST(ShapesStore, ServesTheGeneratedSamplesQuantizedToBytes) {
  ShapesStore store = ShapesStore::build(Primitive::Polygon, Split::Train, 4, tiny_shapes(), 7);
  ASSERT_EQ(store.size(), 4);
  for (int64_t i = 0; i < 4; ++i) {
    ShapeSample fresh = generate_shape(Primitive::Polygon, tiny_shapes(), 7, Split::Train, i);
    ShapeSample kept = store.get(i);
    EXPECT_EQ(kept.image.shape(), fresh.image.shape());
    EXPECT_TRUE(test::all_close(kept.image, fresh.image, 0, 0.5 / 255 + 1e-6)) << "sample " << i;
    EXPECT_TRUE(test::equal(kept.points, fresh.points)) << "sample " << i;
  }
  EXPECT_SP_ERROR(store.get(4), "expected an index in [0, 4), got 4");
}

TEST(ShapesStore, ReusesAMatchingFileAndRegeneratesOnOtherParameters) {
  fs::path dir = fs::path(test::temp_dir("shapes_cache")) / "store";
  ShapesStore first =
      ShapesStore::build(Primitive::Lines, Split::Val, 3, tiny_shapes(), 1, dir.string());
  fs::path file = dir / ShapesStore::file_name(Primitive::Lines, Split::Val);
  ASSERT_TRUE(fs::exists(file));
  auto stamp = fs::last_write_time(file);

  ShapesStore again =
      ShapesStore::build(Primitive::Lines, Split::Val, 3, tiny_shapes(), 1, dir.string());
  EXPECT_EQ(fs::last_write_time(file), stamp);  // read back, not rewritten
  for (int64_t i = 0; i < 3; ++i) EXPECT_TRUE(test::equal(again.get(i).image, first.get(i).image));

  ShapesStore::build(Primitive::Lines, Split::Val, 3, tiny_shapes(), 2, dir.string());
  io::H5File f(file.string(), io::H5File::Mode::Read);
  EXPECT_EQ(f.attr_string("", "seed"), "2");
}

TEST(ShapesStore, ForeignFileGivesAClearError) {
  fs::path dir = test::temp_dir("shapes_cache_foreign");
  io::write_atomically(
      (dir / ShapesStore::file_name(Primitive::Star, Split::Test)).string(),
      [](io::H5File& f) { f.set_attr("", "format", std::string("something else")); });
  EXPECT_SP_ERROR(
      ShapesStore::build(Primitive::Star, Split::Test, 2, tiny_shapes(), 0, dir.string()),
      "synthetic shapes cache: expected a sp-synthetic-shapes-1 file at");
}

TEST(ShapesStore, CachedDatasetMatchesTheOnTheFlyDataset) {
  SyntheticShapesDataset on_the_fly(tiny_shapes(), Split::Val, {}, 3);
  SyntheticShapesDataset cached(tiny_shapes(), Split::Val, {}, 3);
  cached.cache();
  ASSERT_EQ(cached.size(), on_the_fly.size());
  for (int64_t i = 0; i < cached.size(); ++i) {
    Sample a = on_the_fly.get(i, 0), b = cached.get(i, 0);
    EXPECT_TRUE(test::all_close(a["image"], b["image"], 0, 0.5 / 255 + 1e-6)) << "index " << i;
    EXPECT_TRUE(test::equal(a["labels_2D"], b["labels_2D"])) << "index " << i;
  }
}

}  // namespace
}  // namespace sp::data
