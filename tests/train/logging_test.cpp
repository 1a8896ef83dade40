#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers/test_helpers.h"
#include "train/experiment.h"
#include "train/progress.h"
#include "train/tensorboard.h"

namespace sp::train {
namespace {

TEST(TensorBoard, Crc32cMatchesKnownVectors) {
  // RFC 3720 test vector and the classic "123456789" check value.
  EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8a9136aau);
}

TEST(TensorBoard, WritesFramedEventsThatReadBack) {
  std::string dir = test::temp_dir("tb");
  std::string path;
  {
    EventWriter w(dir);
    w.add_scalar("loss/train", 0.25, 10);
    w.add_image("pred", std::vector<uint8_t>{0x89, 'P', 'N', 'G'}, 2, 3, 1, 10);
    path = w.path();
  }
  EXPECT_NE(path.find("events.out.tfevents."), std::string::npos);
  std::vector<std::string> records = read_records(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_NE(records[0].find("brain.Event:2"), std::string::npos);
  EXPECT_NE(records[1].find("loss/train"), std::string::npos);
  float v = 0.25f;
  EXPECT_NE(records[1].find(std::string(reinterpret_cast<char*>(&v), 4)), std::string::npos);
  // A flipped byte is detected.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  EXPECT_SP_ERROR(read_records(path), "corrupt record");
}

TEST(Progress, LineShowsRateAndEta) {
  Progress p("step", 100, 0);
  std::string line = p.line(50, {{"loss", 0.5}});
  EXPECT_NE(line.find("step 50/100 (50%)"), std::string::npos) << line;
  EXPECT_NE(line.find("loss 0.5"), std::string::npos) << line;
  EXPECT_EQ(format_duration(400), "6m40s");
  EXPECT_EQ(format_duration(7380), "2h03m");
  EXPECT_EQ(format_duration(5), "5s");
}

TEST(Experiment, CreatesFolderAndRefusesToClobber) {
  std::string root = test::temp_dir("exp");
  setenv("SP_EXPER_PATH", root.c_str(), 1);
  Config c = Config::from_string("[train]\nlr = 0.1\n");
  {
    Experiment e("run1", c, /*restore=*/false);
    e.log("hello");
    e.append_metrics(1, "train", {{"loss", 1.5}, {"acc", 0.25}});
    e.append_metrics(2, "val", {{"loss", 1.0}});
    EXPECT_SP_ERROR(e.append_metrics(3, "val", {{"a,b", 1.0}}), "without commas");
  }
  EXPECT_TRUE(std::filesystem::exists(root + "/run1/checkpoints"));
  std::ifstream csv(root + "/run1/metrics.csv");
  std::stringstream ss;
  ss << csv.rdbuf();
  EXPECT_EQ(ss.str(), "step,split,key,value\n1,train,acc,0.25\n1,train,loss,1.5\n2,val,loss,1\n");
  EXPECT_SP_ERROR(Experiment("run1", c, false), "--restore");
  EXPECT_NO_THROW(Experiment("run1", c, /*restore=*/true));
  // --restore of a run that never started starts it (trainer: from step 0).
  EXPECT_NO_THROW(Experiment("run2", c, /*restore=*/true));
  EXPECT_TRUE(std::filesystem::exists(root + "/run2/config.toml"));
  unsetenv("SP_EXPER_PATH");
}

}  // namespace
}  // namespace sp::train
