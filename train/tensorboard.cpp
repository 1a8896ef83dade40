#include "train/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "tensor/check.h"

namespace sp::train {

namespace {

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82f63b78u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

// Minimal protocol-buffer encoding: just what Event/Summary need.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(char(v | 0x80));
    v >>= 7;
  }
  out.push_back(char(v));
}
void put_tag(std::string& out, int field, int wire) {
  put_varint(out, uint64_t(field) << 3 | wire);
}
void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_tag(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}
void put_double(std::string& out, int field, double v) {
  put_tag(out, field, 1);
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
void put_float(std::string& out, int field, float v) {
  put_tag(out, field, 5);
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}
void put_int(std::string& out, int field, int64_t v) {
  put_tag(out, field, 0);
  put_varint(out, uint64_t(v));
}

double now_seconds() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

// Event{wall_time=1, step=2, file_version=3, summary=5}
std::string event(int64_t step, const std::string* file_version, const std::string* summary) {
  std::string e;
  put_double(e, 1, now_seconds());
  put_int(e, 2, step);
  if (file_version) put_bytes(e, 3, *file_version);
  if (summary) put_bytes(e, 5, *summary);
  return e;
}

}  // namespace

uint32_t crc32c(const void* data, size_t n) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t masked_crc32c(const void* data, size_t n) {
  uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

EventWriter::EventWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  SP_CHECK(!ec, "tensorboard: could not create folder ", dir, ": ", ec.message());
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  path_ = dir + "/events.out.tfevents." + std::to_string(int64_t(now_seconds())) + "." + host;
  out_.open(path_, std::ios::binary | std::ios::app);
  SP_CHECK(out_.good(), "tensorboard: could not open ", path_, " for writing");
  const std::string version = "brain.Event:2";
  write_event(event(0, &version, nullptr));
  flush();
}

void EventWriter::write_event(const std::string& e) {
  uint64_t len = e.size();
  char header[12];
  std::memcpy(header, &len, 8);
  uint32_t len_crc = masked_crc32c(header, 8);
  std::memcpy(header + 8, &len_crc, 4);
  uint32_t data_crc = masked_crc32c(e.data(), e.size());
  out_.write(header, 12);
  out_.write(e.data(), std::streamsize(e.size()));
  out_.write(reinterpret_cast<const char*>(&data_crc), 4);
  SP_CHECK(out_.good(), "tensorboard: could not write to ", path_, "; hint: is the disk full?");
}

void EventWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  std::string v;  // Summary.Value{tag=1, simple_value=2}
  put_bytes(v, 1, tag);
  put_float(v, 2, float(value));
  std::string summary;  // Summary{value=1 (repeated)}
  put_bytes(summary, 1, v);
  write_event(event(step, nullptr, &summary));
  flush();
}

void EventWriter::add_image(const std::string& tag, const std::vector<uint8_t>& png, int height,
                            int width, int channels, int64_t step) {
  std::string img;  // Summary.Image{height=1, width=2, colorspace=3, encoded_image_string=4}
  put_int(img, 1, height);
  put_int(img, 2, width);
  put_int(img, 3, channels);
  put_bytes(img, 4, std::string(png.begin(), png.end()));
  std::string v;  // Summary.Value{tag=1, image=4}
  put_bytes(v, 1, tag);
  put_bytes(v, 4, img);
  std::string summary;
  put_bytes(summary, 1, v);
  write_event(event(step, nullptr, &summary));
  flush();
}

void EventWriter::flush() {
  out_.flush();
}

std::vector<std::string> read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SP_CHECK(in.good(), "tensorboard: expected an events file at ", path, ", got nothing there");
  std::vector<std::string> records;
  while (true) {
    char header[12];
    if (!in.read(header, 12)) break;
    uint64_t len;
    uint32_t len_crc, data_crc;
    std::memcpy(&len, header, 8);
    std::memcpy(&len_crc, header + 8, 4);
    SP_CHECK(len_crc == masked_crc32c(header, 8), "tensorboard: corrupt record length in ", path,
             " at record ", records.size());
    std::string data(len, '\0');
    SP_CHECK(in.read(data.data(), std::streamsize(len)) &&
                 in.read(reinterpret_cast<char*>(&data_crc), 4),
             "tensorboard: truncated record ", records.size(), " in ", path);
    SP_CHECK(data_crc == masked_crc32c(data.data(), data.size()), "tensorboard: corrupt record ",
             records.size(), " in ", path);
    records.push_back(std::move(data));
  }
  return records;
}

}  // namespace sp::train
