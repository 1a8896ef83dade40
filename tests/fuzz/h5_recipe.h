// HDF5 inputs for the harnesses of HDF5 readers (checkpoints, labels, predictions).
//
// The first byte picks how the input becomes a file:
//   even: the rest is the file's raw bytes (corrupt files: libhdf5 parses them and sp
//         must turn every failure into sp::Error);
//   odd:  the rest is a recipe of HDF5 API calls (datasets of any type, rank and size,
//         groups, attributes, hard/soft/external links) with names from the reader's
//         vocabulary, written by libhdf5 itself. The file is always well formed, so
//         the fuzzer's time goes to sp's own checks of structure, shapes, dtypes and
//         attributes instead of libhdf5's parser (which is not instrumented).
// Recipe format (docs/FUZZING.md): a sequence of operations, each an opcode byte
// (value % 6) and its arguments, until the input ends; see h5_recipe.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sp::fuzz {

struct H5Vocabulary {
  std::vector<std::string> names;    // dataset / group paths the reader looks for
  std::vector<std::string> attrs;    // attribute names it reads
  std::vector<std::string> strings;  // string attribute values it compares against
};

// Writes the file for this input to `path`.
void make_h5(const uint8_t* data, size_t size, const H5Vocabulary& vocab, const std::string& path);

}  // namespace sp::fuzz
