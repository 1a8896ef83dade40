// read_image on PNM files (data/image_io.cpp): see image_fuzz.h.
#include "image_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (sp::fuzz::is_pnm(data, size)) sp::fuzz::fuzz_image(data, size);
  return 0;
}
