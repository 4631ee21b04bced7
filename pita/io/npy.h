#pragma once
// NumPy .npy files (format versions 1.0/2.0, little-endian, C order): the interchange format
// for samples and reference data, readable with a plain np.load() on the Python side.
#include <cstdint>
#include <string>
#include <vector>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// What a .npy header says, before any check that pita can load the data.
struct NpyHeader {
    std::string descr;           ///< numpy dtype string, e.g. "<f8"
    bool fortran_order = false;  ///< true: column-major data (pita rejects it when reading)
    std::vector<int64_t> shape;  ///< empty for a 0-d array
    int major_version = 1;       ///< 1, 2 or 3 (3 only changes the header encoding)
    int64_t data_offset = 0;     ///< bytes from the start of the file to the array data
};

/// Reads and parses the header of `path` only.
/// @throws IoError if the file cannot be opened or is not a well-formed .npy file.
NpyHeader read_npy_header(const std::string& path);

/// Writes `t` as a C-order .npy file (version 1.0), atomically (see atomic_file.h).
/// @param t  any shape (0-d and empty included), any device; float32, float64, int64, int32,
///           int8, uint8 or bool. It is copied to contiguous CPU memory first.
/// @throws IoError for any other dtype or when the file cannot be written.
void write_npy(const std::string& path, const at::Tensor& t);

/// Reads a .npy file into a new contiguous CPU tensor of the file's dtype and shape.
/// Accepts '<f4', '<f8', '<i8', '<i4', '|i1', '|u1', '|b1' with fortran_order False.
/// @throws IoError for a missing/unreadable file, a malformed header, an unsupported dtype or
///         order, or a data section whose size does not match the header.
at::Tensor read_npy(const std::string& path);

}  // namespace pita
