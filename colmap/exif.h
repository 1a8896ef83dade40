// The one EXIF field camera priors need: FocalLengthIn35mmFilm (tag 0xA405 of the Exif
// IFD) of a JPEG, read from its APP1 segment without decoding the image. COLMAP and
// DISK's h5_to_db turn it into a focal length in pixels as f35 / 35 * max(width, height)
// (35 mm film is 36 mm wide; both use 35).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sp::colmap {

// The 35 mm equivalent focal length in mm, when the file is a JPEG whose EXIF holds a
// positive one; nothing for other files, no EXIF, or malformed EXIF.
std::optional<double> exif_focal_length_35mm(const std::string& path);
// The same from the bytes of a JPEG file (tests).
std::optional<double> exif_focal_length_35mm(const std::vector<uint8_t>& jpeg);

}  // namespace sp::colmap
