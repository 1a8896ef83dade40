#include "fuzz_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

namespace sp::fuzz {
namespace {

namespace fs = std::filesystem;

std::string base_dir() {
  if (const char* d = std::getenv("SP_FUZZ_TMPDIR"); d && *d) return d;
  if (::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  if (const char* d = std::getenv("TMPDIR"); d && *d) return d;
  return "/tmp";
}

// Files and folders to remove at exit (and at the normal end of a fuzzing run).
struct Cleanup {
  std::map<std::string, bool> paths;  // path -> is a folder
  ~Cleanup() {
    if (std::getenv("SP_FUZZ_KEEP")) return;  // to look at what the last input became
    std::error_code ec;
    for (auto& [p, dir] : paths) dir ? (void)fs::remove_all(p, ec) : (void)fs::remove(p, ec);
  }
};
Cleanup& cleanup() {
  static Cleanup c;
  return c;
}

std::string prefix() {
  return base_dir() + "/sp-fuzz-" + std::to_string(::getpid()) + "-";
}

}  // namespace

std::string temp_path(std::string_view tag) {
  const std::string path = prefix() + std::string(tag);
  cleanup().paths.emplace(path, false);
  return path;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    std::abort();  // the harness cannot work at all: not a finding about the reader
  }
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      std::perror(path.c_str());
      std::abort();
    }
    done += size_t(n);
  }
  ::close(fd);
}

const std::string& temp_dir() {
  static const std::string dir = [] {
    std::string d = prefix() + "dir";
    std::error_code ec;
    fs::remove_all(d, ec);
    fs::create_directories(d);
    cleanup().paths.emplace(d, true);
    return d;
  }();
  return dir;
}

bool verbose() {
  static const bool on = std::getenv("SP_FUZZ_VERBOSE") != nullptr;
  return on;
}

void fail(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "fuzz: property violated: %s at %s:%d\n", condition, file, line);
  std::abort();
}

}  // namespace sp::fuzz
