#include "data/loader.h"

#include <gtest/gtest.h>

#include <atomic>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

// A dataset whose samples record their index and seed; index `bad` throws.
class Recorder : public Dataset {
 public:
  explicit Recorder(int64_t n, int64_t bad = -1) : n_(n), bad_(bad) {}
  int64_t size() const override { return n_; }
  Sample get(int64_t index, uint64_t seed) const override {
    SP_CHECK(index != bad_, "recorder: cannot read sample ", index);
    Rng rng(seed);
    return {{"index", full({1}, double(index), DType::I64)},
            {"seed", full({1}, double(seed), DType::I64)},
            {"noise", full({2, 3}, rng.uniform())}};
  }

 private:
  int64_t n_, bad_;
};

std::vector<Batch> drain(Loader& l) {
  std::vector<Batch> out;
  while (auto b = l.next()) out.push_back(*b);
  return out;
}

TEST(Loader, CollatesAndSeedsEachSampleBySeedPlusIndex) {
  LoaderOptions o;
  o.batch_size = 4;
  o.seed = 1000;
  Loader l(std::make_shared<Recorder>(10), o);
  EXPECT_EQ(l.num_batches(), 3);
  std::vector<Batch> bs = drain(l);
  ASSERT_EQ(bs.size(), 3u);
  EXPECT_EQ(bs[0].at("noise").shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(bs[2].at("index").shape(), (Shape{2, 1}));
  EXPECT_EQ(bs[1].at("index").to_vector<int64_t>(), (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(bs[1].at("seed").to_vector<int64_t>(), (std::vector<int64_t>{1004, 1005, 1006, 1007}));
  o.drop_last = true;
  EXPECT_EQ(Loader(std::make_shared<Recorder>(10), o).num_batches(), 2);
}

TEST(Loader, CollatePadsKeypointSetsWithAMask) {
  Sample a{{"keypoints0", from_vector<float>({1, 2, 3, 4}, Shape{2, 2})},
           {"descriptors0", ones({2, 3})},
           {"gt_matches0", from_vector<int64_t>({1, 0})},
           {"image", zeros({1, 4, 4})}};
  Sample b{{"keypoints0", from_vector<float>({5, 6}, Shape{1, 2})},
           {"descriptors0", ones({1, 3})},
           {"gt_matches0", from_vector<int64_t>({0})},
           {"image", zeros({1, 4, 4})}};
  Batch batch = collate({a, b});
  EXPECT_EQ(batch.at("keypoints0").shape(), Shape({2, 2, 2}));
  EXPECT_EQ(batch.at("keypoints0").to_vector<float>(),
            (std::vector<float>{1, 2, 3, 4, 5, 6, 0, 0}));
  EXPECT_EQ(batch.at("descriptors0").shape(), Shape({2, 2, 3}));
  EXPECT_EQ(batch.at("gt_matches0").to_vector<int64_t>(),
            (std::vector<int64_t>{1, 0, 0, -1}));  // -1: unmatched
  EXPECT_EQ(batch.at("keypoint_mask0").to(DType::I64).to_vector<int64_t>(),
            (std::vector<int64_t>{1, 1, 1, 0}));
  EXPECT_EQ(batch.at("image").shape(), Shape({2, 1, 4, 4}));
  Sample c = b;
  c["image"] = zeros({1, 4, 5});  // only the first dimension may differ
  EXPECT_SP_ERROR(collate({a, c}), "'image' of shape [1, 4, 4] f32 (or another length");
}

TEST(Loader, SameBatchesWithOneOrThreeWorkers) {
  auto ds = std::make_shared<Recorder>(37);
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 3}) {
    LoaderOptions o;
    o.batch_size = 5;
    o.workers = workers;
    o.prefetch = 2;
    o.shuffle = true;
    o.seed = 7;
    Loader l(ds, o);
    runs.push_back(drain(l));
    l.start_epoch(1);
    runs.push_back(drain(l));
  }
  for (size_t r = 2; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[r % 2].size());
    for (size_t b = 0; b < runs[r].size(); ++b)
      for (const char* k : {"index", "seed", "noise"})
        EXPECT_TRUE(test::equal(runs[r][b].at(k), runs[r % 2][b].at(k)));
  }
  // Shuffled epochs differ from each other.
  EXPECT_FALSE(test::equal(runs[0][0].at("index"), runs[1][0].at("index")));
}

// A resumed run starts inside an epoch without building the batches before its position,
// and gets the batches an uninterrupted epoch gives there.
class Counting : public Recorder {
 public:
  using Recorder::Recorder;
  Sample get(int64_t index, uint64_t seed) const override {
    ++reads;
    return Recorder::get(index, seed);
  }
  mutable std::atomic<int64_t> reads{0};
};

TEST(Loader, StartsAnEpochAtABatchWithoutBuildingTheOnesBefore) {
  auto ds = std::make_shared<Counting>(23);
  for (int workers : {0, 2}) {
    LoaderOptions o;
    o.batch_size = 4;
    o.workers = workers;
    o.shuffle = true;
    o.seed = 11;
    Loader l(ds, o);
    l.start_epoch(3);
    std::vector<Batch> whole = drain(l);
    ds->reads = 0;
    l.start_epoch(3, 4);
    std::vector<Batch> rest = drain(l);
    ASSERT_EQ(rest.size(), whole.size() - 4);
    for (size_t b = 0; b < rest.size(); ++b)
      for (const char* k : {"index", "seed", "noise"})
        EXPECT_TRUE(test::equal(rest[b].at(k), whole[b + 4].at(k)));
    EXPECT_EQ(ds->reads.load(), 23 - 16);  // batches 4 and 5 only: 4 + 3 samples
    l.start_epoch(0, l.num_batches());
    EXPECT_FALSE(l.next().has_value());
    EXPECT_SP_ERROR(l.start_epoch(0, l.num_batches() + 1), "first batch in [0, 6], got 7");
  }
}

TEST(Loader, WorkerErrorsNameTheSampleAndShutdownIsClean) {
  LoaderOptions o;
  o.batch_size = 2;
  o.workers = 3;
  Loader l(std::make_shared<Recorder>(20, 9), o);
  int taken = 0;
  try {
    while (l.next()) ++taken;
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sample 9"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot read sample 9"), std::string::npos) << e.what();
  }
  EXPECT_EQ(taken, 4);
  // Destroying a loader mid-epoch with busy workers joins them.
  { Loader early(std::make_shared<Recorder>(100), o); }
  EXPECT_SP_ERROR(collate({}), "at least one sample");
  EXPECT_SP_ERROR(collate({{{"a", zeros({2})}}, {{"a", zeros({3}, DType::I64)}}}),
                  "'a' of shape [2] f32");
}

TEST(LoaderGpu, DeliversDeviceBatchesEqualToTheHostBatches) {
  SP_SKIP_WITHOUT_GPU();
  auto ds = std::make_shared<Recorder>(23);
  LoaderOptions o;
  o.batch_size = 4;
  o.workers = 2;
  o.shuffle = true;
  o.seed = 3;
  Loader host(ds, o);
  o.device = cuda_device();
  Loader device(ds, o);
  std::vector<Batch> expected = drain(host), got = drain(device);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t b = 0; b < got.size(); ++b)
    for (const char* k : {"index", "seed", "noise"}) {
      EXPECT_EQ(got[b].at(k).device(), cuda_device());
      EXPECT_TRUE(test::equal(got[b].at(k).cpu(), expected[b].at(k)))
          << "batch " << b << " key " << k;
    }
}

}  // namespace
}  // namespace sp::data
