#pragma once
// Crash-safe file output: a reader sees either the old file or the complete new one, never a
// half-written file (STYLE §6 "nothing is lost").
#include <functional>
#include <iosfwd>
#include <string>

namespace pita {

/// Writes `path` by calling `writer` on a stream to `path.<pid>.tmp`, flushing, and renaming the
/// tmp file over `path`. The parent directory must already exist.
/// @throws IoError naming the path and the OS error; the tmp file is removed on any failure,
///         including an exception thrown by `writer` (which is rethrown unchanged).
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& writer);

/// write_file_atomically for a string that is already in memory.
void write_text_atomically(const std::string& path, const std::string& text);

/// Copies the file `from` to `to` atomically (a reader of `to` sees the old or the whole copy).
/// @throws IoError when `from` cannot be read or `to` written
void copy_file_atomically(const std::string& from, const std::string& to);

}  // namespace pita
