// The legacy format of PyTorch .pth files (pickles, then raw storages): see pth_fuzz.h.
#include "pth_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 1 && data[0] == 0x80) sp::fuzz::fuzz_pth(data, size);
  return 0;
}
