#include "tensor/host_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "helpers/test_helpers.h"
#include "tensor/ops/creation.h"

namespace sp {
namespace {

constexpr size_t kMiB = size_t(1) << 20;

// Restores the cache's bound and empties it around each test.
class HostAllocator : public testing::Test {
 protected:
  void SetUp() override {
    host::clear_cache();
    host::set_cache_limit(64 * kMiB);
  }
  void TearDown() override {
    host::clear_cache();
    host::set_cache_limit(64 * kMiB);
  }
};

TEST_F(HostAllocator, LargeBlocksAreReusedForTheSameSize) {
  void* first = host::allocate(3 * kMiB + 5);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  host::release(first, 3 * kMiB + 5);
  EXPECT_EQ(host::cached_bytes(), 3 * kMiB + 64);
  void* other_size = host::allocate(2 * kMiB);
  EXPECT_NE(other_size, first);
  void* same_size = host::allocate(3 * kMiB + 10);  // same 64-byte rounding
  EXPECT_EQ(same_size, first);
  EXPECT_EQ(host::cached_bytes(), 0u);
  host::release(other_size, 2 * kMiB);
  host::release(same_size, 3 * kMiB + 10);
  EXPECT_EQ(host::cached_bytes(), 5 * kMiB + 64);
}

TEST_F(HostAllocator, SmallBlocksAreNotCached) {
  void* p = host::allocate(1000);
  host::release(p, 1000);
  EXPECT_EQ(host::cached_bytes(), 0u);
}

TEST_F(HostAllocator, TheBoundEvictsTheLeastRecentlyReleased) {
  host::set_cache_limit(5 * kMiB);
  void* a = host::allocate(2 * kMiB);
  void* b = host::allocate(2 * kMiB);
  void* c = host::allocate(2 * kMiB);
  host::release(a, 2 * kMiB);
  host::release(b, 2 * kMiB);
  host::release(c, 2 * kMiB);  // 6 MiB > 5: a goes
  EXPECT_EQ(host::cached_bytes(), 4 * kMiB);
  void* again = host::allocate(2 * kMiB);
  EXPECT_TRUE(again == b || again == c);
  host::release(again, 2 * kMiB);
  host::set_cache_limit(0);
  EXPECT_EQ(host::cached_bytes(), 0u);
  void* d = host::allocate(2 * kMiB);  // with caching off, blocks go straight back
  host::release(d, 2 * kMiB);
  EXPECT_EQ(host::cached_bytes(), 0u);
}

TEST_F(HostAllocator, TensorsReturnTheirStorageToTheCache) {
  { Tensor t = zeros({1024, 1024}, DType::F32); }
  EXPECT_EQ(host::cached_bytes(), 4 * kMiB);
  Tensor again = full({1024, 1024}, 2.0, DType::F32);  // reused, and filled as asked
  EXPECT_EQ(host::cached_bytes(), 0u);
  EXPECT_EQ(again.to_vector<float>()[12345], 2.0f);
}

}  // namespace
}  // namespace sp
