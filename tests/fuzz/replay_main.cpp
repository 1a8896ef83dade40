// The replay driver: runs a harness without libFuzzer, in the normal (g++) build, so
// ctest exercises every harness briefly on every CI run (docs/FUZZING.md).
//
//   <name>_replay [--seconds S] [--runs N] [--seed K] [--max-len L] PATH...
//
// Runs every file under each PATH (a file or a folder, not recursive, in name order),
// then mutates those inputs deterministically (a fixed-seed generator: the same inputs
// in the same order on every machine; the time limit only decides how many) for up to S
// seconds or N inputs, whichever comes first. A crash, abort or an input running longer
// than 25 s writes the input to ./fuzz-crash-<pid>.bin before the process dies.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_util.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// The input being run, for the crash handler (async-signal-safe: raw pointer + size).
const uint8_t* g_current = nullptr;
size_t g_current_size = 0;
char g_crash_path[64];
constexpr unsigned kInputTimeoutSeconds = 25;

void on_fatal(int sig) {
  int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    if (g_current_size) (void)!::write(fd, g_current, g_current_size);
    ::close(fd);
  }
  const char* msg = sig == SIGALRM ? "replay: an input ran too long (hang); saved to "
                                   : "replay: fatal signal; input saved to ";
  (void)!::write(2, msg, std::strlen(msg));
  (void)!::write(2, g_crash_path, std::strlen(g_crash_path));
  (void)!::write(2, "\n", 1);
  ::signal(SIGABRT, SIG_DFL);
  ::signal(sig, SIG_DFL);
  ::raise(sig == SIGALRM ? SIGABRT : sig);
}

void run_one(const Bytes& input) {
  g_current = input.data();
  g_current_size = input.size();
  ::alarm(kInputTimeoutSeconds);
  LLVMFuzzerTestOneInput(input.data(), input.size());
  ::alarm(0);
}

// SplitMix64: small, fast and identical everywhere.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n ? size_t(next() % n) : 0; }
};

// A few of libFuzzer's mutations: bit flips, interesting values, byte runs inserted,
// erased or copied, and splices with another input.
Bytes mutate(const std::vector<Bytes>& pool, Rng& rng, size_t max_len) {
  Bytes b = pool[rng.below(pool.size())];
  static const uint64_t interesting[] = {
      0,          1,          0x7f,       0x80,    0xff,     0x7fff,       0x8000,           0xffff,
      0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x100000, ~uint64_t(0), uint64_t(1) << 62};
  const int rounds = 1 + int(rng.below(4));
  for (int r = 0; r < rounds; ++r) {
    const size_t at = rng.below(b.size() + 1);
    switch (rng.below(7)) {
      case 0:  // flip a bit
        if (!b.empty()) b[rng.below(b.size())] ^= uint8_t(1u << rng.below(8));
        break;
      case 1:  // a random byte
        if (!b.empty()) b[rng.below(b.size())] = uint8_t(rng.next());
        break;
      case 2: {  // an interesting 1/2/4/8-byte value, little- or big-endian
        if (b.empty()) break;
        const uint64_t v = interesting[rng.below(std::size(interesting))];
        const size_t width = size_t(1) << rng.below(4), p = rng.below(b.size());
        const bool big = rng.below(2);
        for (size_t k = 0; k < width && p + k < b.size(); ++k)
          b[p + k] = uint8_t(v >> (8 * (big ? width - 1 - k : k)));
        break;
      }
      case 3: {  // insert random bytes
        const size_t n = 1 + rng.below(16);
        Bytes ins(n);
        for (auto& x : ins) x = uint8_t(rng.next());
        b.insert(b.begin() + std::ptrdiff_t(at), ins.begin(), ins.end());
        break;
      }
      case 4: {  // erase a run
        if (b.empty()) break;
        const size_t p = rng.below(b.size()), n = 1 + rng.below(std::min<size_t>(b.size() - p, 64));
        b.erase(b.begin() + std::ptrdiff_t(p), b.begin() + std::ptrdiff_t(p + n));
        break;
      }
      case 5: {  // copy a run of this input elsewhere (overwriting)
        if (b.size() < 2) break;
        const size_t from = rng.below(b.size()), to = rng.below(b.size());
        const size_t n = 1 + rng.below(std::min(b.size() - std::max(from, to), size_t(32)));
        std::memmove(b.data() + to, b.data() + from, n);
        break;
      }
      case 6: {  // splice: this input's head with another one's tail
        const Bytes& o = pool[rng.below(pool.size())];
        const size_t cut_o = rng.below(o.size() + 1);
        b.resize(std::min(at, b.size()));
        b.insert(b.end(), o.begin() + std::ptrdiff_t(cut_o), o.end());
        break;
      }
    }
  }
  if (b.size() > max_len) b.resize(max_len);
  return b;
}

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  uint64_t runs = UINT64_MAX, seed = 1;
  size_t max_len = 0;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "replay: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (a == "--seconds")
      seconds = std::stod(value());
    else if (a == "--runs")
      runs = std::stoull(value());
    else if (a == "--seed")
      seed = std::stoull(value());
    else if (a == "--max-len")
      max_len = std::stoull(value());
    else if (fs::is_directory(a)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(a))
        if (e.is_regular_file()) in_dir.push_back(e.path());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::is_regular_file(a)) {
      files.push_back(a);
    } else if (!fs::exists(a)) {
      std::fprintf(stderr, "replay: %s does not exist (skipped)\n", a.c_str());
    }
  }
  std::snprintf(g_crash_path, sizeof(g_crash_path), "fuzz-crash-%d.bin", int(::getpid()));
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM}) ::signal(sig, on_fatal);

  std::vector<Bytes> pool;
  for (const fs::path& f : files) {
    pool.push_back(read_file(f));
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", f.c_str(), pool.back().size());
    run_one(pool.back());
  }
  if (pool.empty()) pool.push_back({});
  if (max_len == 0) {
    for (const Bytes& b : pool) max_len = std::max(max_len, b.size());
    max_len = std::max<size_t>(2 * max_len, 4096);
  }

  Rng rng{seed};
  const auto start = std::chrono::steady_clock::now();
  uint64_t n = 0;
  for (; n < runs; ++n) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= seconds)
      break;
    run_one(mutate(pool, rng, max_len));
  }
  std::fprintf(stderr, "replay: %zu inputs, then %llu mutated inputs in %.1f s: no crash\n",
               files.size(), (unsigned long long)n,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}
