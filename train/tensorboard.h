// TensorBoard event files written natively: TFRecord framing (length, masked CRC-32C)
// around hand-encoded `Event` protocol buffers, the format TensorBoard reads
// (events.out.tfevents.<time>.<host>). Scalars and PNG images.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace sp::train {

class EventWriter {
 public:
  // Creates `dir` if needed and a new events file inside it.
  explicit EventWriter(const std::string& dir);
  const std::string& path() const { return path_; }

  void add_scalar(const std::string& tag, double value, int64_t step);
  // `png` is an encoded PNG of the given size; channels 1 (gray), 3 (RGB) or 4 (RGBA).
  void add_image(const std::string& tag, const std::vector<uint8_t>& png, int height, int width,
                 int channels, int64_t step);
  void flush();

 private:
  void write_event(const std::string& event);
  std::string path_;
  std::ofstream out_;
};

// CRC-32C (Castagnoli) and TFRecord's masking of it.
uint32_t crc32c(const void* data, size_t n);
uint32_t masked_crc32c(const void* data, size_t n);

// Reads back the records of an events file, checking both CRCs of each (for tests and
// tools); returns the raw Event payloads.
std::vector<std::string> read_records(const std::string& path);

}  // namespace sp::train
