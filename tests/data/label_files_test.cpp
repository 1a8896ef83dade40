// Label files under a full disk: the HA export's write_keypoint_labels, in a child process
// whose file-size limit makes writes fail part-way, throws naming the file and leaves
// neither the label nor its temporary file.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/datasets.h"
#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp::data {
namespace {

namespace fs = std::filesystem;

TEST(LabelFiles, FullDiskLeavesNoHalfWrittenLabel) {
  const std::string dir = test::temp_dir("labels_full_disk");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string target = dir + "/image.h5", message = dir + "/../labels_full_disk_message.txt";
  const Tensor points = test::lcg_uniform({4000, 3}, 1, 0, 100, 41).to(DType::F32);
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);  // writes beyond the limit fail with EFBIG instead of killing
    struct rlimit limit {
      8192, 8192
    };
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_keypoint_labels(target, points);
      _exit(0);
    } catch (const Error& e) {
      std::ofstream(message) << e.what();
      _exit(3);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << "the write should have failed";
  std::stringstream text;
  text << std::ifstream(message).rdbuf();
  EXPECT_NE(text.str().find("image.h5"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("disk full"), std::string::npos) << text.str();
  EXPECT_TRUE(fs::is_empty(dir)) << "a label or temporary file was left behind";
  // Without the limit the same write succeeds and reads back.
  write_keypoint_labels(target, points);
  EXPECT_TRUE(test::equal(read_keypoint_labels(target), points));
}

}  // namespace
}  // namespace sp::data
