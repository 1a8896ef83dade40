#include "colmap/exif.h"

#include <fstream>
#include <iterator>

namespace sp::colmap {

namespace {

// A bounds-checked reader of the TIFF structure inside the APP1 segment.
struct Tiff {
  const uint8_t* data;
  size_t size;
  bool little;

  bool u16(size_t at, uint32_t& v) const {
    if (at + 2 > size) return false;
    v = little ? uint32_t(data[at] | data[at + 1] << 8) : uint32_t(data[at] << 8 | data[at + 1]);
    return true;
  }
  bool u32(size_t at, uint32_t& v) const {
    uint32_t a = 0, b = 0;
    if (!u16(at, a) || !u16(at + 2, b)) return false;
    v = little ? (b << 16 | a) : (a << 16 | b);
    return true;
  }
  // The entry of `tag` in the IFD at `ifd`: its type and the offset of its value field.
  bool find(size_t ifd, uint32_t tag, uint32_t& type, size_t& value_at) const {
    uint32_t count = 0;
    if (!u16(ifd, count)) return false;
    for (uint32_t k = 0; k < count; ++k) {
      const size_t entry = ifd + 2 + 12 * size_t(k);
      uint32_t t = 0;
      if (!u16(entry, t) || !u16(entry + 2, type)) return false;
      if (t == tag) {
        value_at = entry + 8;
        return true;
      }
    }
    return false;
  }
};

std::optional<double> focal_from_tiff(const Tiff& tiff) {
  uint32_t magic = 0, ifd0 = 0, type = 0, exif_ifd = 0, value = 0;
  if (!tiff.u16(2, magic) || magic != 42 || !tiff.u32(4, ifd0)) return std::nullopt;
  size_t at = 0;
  if (!tiff.find(ifd0, 0x8769, type, at) || !tiff.u32(at, exif_ifd)) return std::nullopt;
  if (!tiff.find(exif_ifd, 0xA405, type, at)) return std::nullopt;
  if (type == 3) {  // SHORT
    if (!tiff.u16(at, value)) return std::nullopt;
  } else if (type == 4) {  // LONG
    if (!tiff.u32(at, value)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (value == 0) return std::nullopt;
  return double(value);
}

}  // namespace

std::optional<double> exif_focal_length_35mm(const std::vector<uint8_t>& j) {
  if (j.size() < 4 || j[0] != 0xFF || j[1] != 0xD8) return std::nullopt;
  size_t at = 2;
  while (at + 4 <= j.size() && j[at] == 0xFF) {
    const uint8_t marker = j[at + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // image data: no more metadata
    const size_t length = size_t(j[at + 2]) << 8 | j[at + 3];
    if (length < 2 || at + 2 + length > j.size()) break;
    const uint8_t* body = j.data() + at + 4;
    const size_t body_size = length - 2;
    static const uint8_t kExif[6] = {'E', 'x', 'i', 'f', 0, 0};
    if (marker == 0xE1 && body_size > 14 && std::equal(kExif, kExif + 6, body)) {
      const uint8_t* t = body + 6;
      const bool little = t[0] == 'I' && t[1] == 'I';
      if (little || (t[0] == 'M' && t[1] == 'M')) {
        const std::optional<double> f = focal_from_tiff(Tiff{t, body_size - 6, little});
        if (f) return f;
      }
    }
    at += 2 + length;
  }
  return std::nullopt;
}

std::optional<double> exif_focal_length_35mm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) return std::nullopt;
  // Metadata precedes the image data: the first 256 KiB hold it.
  std::vector<uint8_t> head(256 * 1024);
  in.read(reinterpret_cast<char*>(head.data()), std::streamsize(head.size()));
  head.resize(size_t(in.gcount()));
  return exif_focal_length_35mm(head);
}

}  // namespace sp::colmap
