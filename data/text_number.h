// A number field of a text file (COLMAP models, posed-image lists, pair lists): the whole
// token must be a number, or the error names the reader, the place and the token.
#pragma once

#include <exception>
#include <string>

#include "tensor/check.h"

namespace sp::data {

inline double parse_number(const std::string& s, const char* reader, const std::string& where) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  SP_CHECK(used == s.size() && used > 0, reader, ": expected a number in ", where, ", got '", s,
           "'");
  return v;
}

}  // namespace sp::data
