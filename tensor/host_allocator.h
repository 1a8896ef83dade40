// Host memory for tensors: 64-byte aligned. Blocks of 1 MiB and more are kept when their
// tensor dies and handed out again for the same rounded size: fresh large blocks come
// from mmap and every first touch of their pages faults (10-17% of a 480x640 CPU forward
// went to page faults before this cache). The cache is bounded, least recently released
// blocks going first: SP_HOST_CACHE_MB sets the bound (default 1/8 of RAM, at most
// 4096 MiB; 0 turns caching off).
#pragma once

#include <cstddef>

namespace sp::host {

void* allocate(size_t nbytes);
void release(void* ptr, size_t nbytes);  // the nbytes given to allocate

size_t cached_bytes();
void set_cache_limit(size_t bytes);  // evicts down to the new bound at once
void clear_cache();

}  // namespace sp::host
