// The zip format of PyTorch .pth files (torch >= 1.6): see pth_fuzz.h.
#include "pth_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0) sp::fuzz::fuzz_pth(data, size);
  return 0;
}
