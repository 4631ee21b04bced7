#pragma once
// Trajectory files for molecular viewers and analysis (mdtraj, VMD, MDAnalysis): CHARMM DCD
// here, multi-model PDB in pita/molecule/pdb_trajectory.h. pita keeps frames in nm; both formats
// store Å, so the conversion happens once, in checked_frames_angstrom().
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// Checks trajectory frames and converts them to Å: the one validation behind every
/// trajectory writer, so all of them refuse the same inputs with the same messages.
/// @param frames_nm  [n_frames, n_atoms, 3] or one frame [n_atoms, 3]; float32 or float64, nm,
///                   any device
/// @param n_atoms    the atom count the frames must have; -1 accepts any (at least one)
/// @param component  the message tag, e.g. "dcd"
/// @return [n_frames, n_atoms, 3], float64, Å, contiguous, on the CPU
/// @throws ConfigError for another shape or dtype, no frame or atom, or a non-finite coordinate
///         (naming the first one's frame and atom)
at::Tensor checked_frames_angstrom(const at::Tensor& frames_nm, int64_t n_atoms,
                                   std::string_view component);

/// Streams frames to a CHARMM-format DCD file (little-endian, float32 Å, no unit cell), as
/// VMD's and mdtraj's writers do: the 84-byte header, a title block, the atom count, then per
/// frame three Fortran records X, Y, Z.
///
/// Frames go to `<path>.<pid>.tmp`; every append() rewrites the header's frame count (NSET)
/// and flushes, so the tmp file is a complete DCD of every frame appended so far, even after a
/// crash. close() renames it to `path`. A writer destroyed without close() leaves the tmp file
/// there and never renames it: an unfinished trajectory does not pose as a finished one.
/// Not copyable; one writer owns its file.
class DcdWriter {
  public:
    /// Creates the tmp file and writes the header (0 frames).
    /// @param path          the final file; its directory must exist
    /// @param n_atoms       atoms per frame, >= 1
    /// @param time_step_ps  simulated time between consecutive frames, ps, > 0 (stored as
    ///                      DELTA in AKMA units with NSAVC = 1)
    /// @param title         one line of REMARKS (at most 72 characters are kept)
    /// @throws ConfigError for a bad n_atoms or time step; IoError if the file cannot be created
    DcdWriter(std::filesystem::path path, int64_t n_atoms, double time_step_ps,
              std::string_view title = "trajectory written by pita");
    ~DcdWriter();
    DcdWriter(const DcdWriter&) = delete;
    DcdWriter& operator=(const DcdWriter&) = delete;

    /// Appends frames and updates NSET. A refused call writes nothing.
    /// @param frames_nm  [n_frames, n_atoms, 3] or [n_atoms, 3]; float32 or float64, nm
    /// @throws ConfigError as checked_frames_angstrom(), or for a coordinate beyond float32;
    ///         IoError after close() or when the write fails (disk full)
    void append(const at::Tensor& frames_nm);

    /// Renames the tmp file to the final path. Further appends are refused.
    /// @throws IoError when called twice or when the rename fails
    void close();

    int64_t n_atoms() const { return n_atoms_; }
    int64_t n_frames() const { return n_frames_; }
    const std::filesystem::path& path() const { return path_; }
    /// Where the frames are until close().
    const std::filesystem::path& tmp_path() const { return tmp_path_; }

  private:
    struct FileCloser {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    void write_bytes(const void* data, size_t n_bytes);
    void flush();
    [[noreturn]] void fail_write(int err);

    std::filesystem::path path_;
    std::filesystem::path tmp_path_;
    int64_t n_atoms_;
    int64_t n_frames_ = 0;
    std::unique_ptr<std::FILE, FileCloser> file_;
};

/// Writes all of `frames_nm` as one DCD file (DcdWriter: append once, close); on failure no
/// file, final or tmp, is left.
/// @param frames_nm  [n_frames, n_atoms, 3] or [n_atoms, 3]; float32 or float64, nm
/// @param time_step_ps  simulated time between consecutive frames, ps, > 0
/// @param title  as DcdWriter's
/// @throws as DcdWriter
void write_dcd(const std::filesystem::path& path, const at::Tensor& frames_nm, double time_step_ps,
               std::string_view title = "trajectory written by pita");

}  // namespace pita
