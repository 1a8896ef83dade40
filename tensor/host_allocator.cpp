#include "tensor/host_allocator.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <list>
#include <map>
#include <mutex>
#include <string>

#include "tensor/check.h"

namespace sp::host {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kMinCached = size_t(1) << 20;

size_t rounded(size_t nbytes) {
  return (std::max<size_t>(nbytes, 1) + kAlign - 1) / kAlign * kAlign;
}

size_t default_limit() {
  if (const char* mb = std::getenv("SP_HOST_CACHE_MB")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(mb, &end, 10);
    SP_CHECK(end != mb && *end == '\0', "SP_HOST_CACHE_MB: expected a number of MiB, got '", mb,
             "'");
    return size_t(v) << 20;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const size_t ram = pages > 0 && page > 0 ? size_t(pages) * size_t(page) : 0;
  return std::min(ram / 8, size_t(4096) << 20);
}

// Released blocks by size, and in release order for eviction.
class Cache {
 public:
  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_size_.find(size);
    if (it == by_size_.end()) return nullptr;
    void* p = it->second->ptr;
    order_.erase(it->second);
    by_size_.erase(it);
    bytes_ -= size;
    return p;
  }
  void put(void* p, size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (size > limit_) {
      std::free(p);
      return;
    }
    order_.push_back({p, size});
    by_size_.emplace(size, std::prev(order_.end()));
    bytes_ += size;
    evict_to(limit_);
  }
  size_t bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    evict_to(0);
  }
  void set_limit(size_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    limit_ = limit;
    evict_to(limit_);
  }

 private:
  struct Block {
    void* ptr;
    size_t size;
  };
  void evict_to(size_t limit) {
    while (bytes_ > limit) {
      const Block oldest = order_.front();
      auto range = by_size_.equal_range(oldest.size);
      for (auto it = range.first; it != range.second; ++it)
        if (it->second == order_.begin()) {
          by_size_.erase(it);
          break;
        }
      order_.pop_front();
      bytes_ -= oldest.size;
      std::free(oldest.ptr);
    }
  }

  std::mutex mutex_;
  std::list<Block> order_;
  std::multimap<size_t, std::list<Block>::iterator> by_size_;
  size_t bytes_ = 0;
  size_t limit_ = default_limit();
};

// Never destroyed: tensors in static storage may be released after main returns.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

}  // namespace

void* allocate(size_t nbytes) {
  const size_t size = rounded(nbytes);
  if (size >= kMinCached)
    if (void* p = cache().take(size)) return p;
  void* p = std::aligned_alloc(kAlign, size);
  SP_CHECK(p != nullptr, "allocator: out of host memory allocating ", nbytes, " bytes");
  return p;
}

void release(void* ptr, size_t nbytes) {
  const size_t size = rounded(nbytes);
  if (size >= kMinCached)
    cache().put(ptr, size);
  else
    std::free(ptr);
}

size_t cached_bytes() {
  return cache().bytes();
}
void set_cache_limit(size_t bytes) {
  cache().set_limit(bytes);
}
void clear_cache() {
  cache().clear();
}

}  // namespace sp::host
