#pragma once
// Row-parallel loops over a batch: the one way pita's own code spreads independent rows (chains,
// configurations, samples) over threads.
//
// Not at::parallel_for: with ATen's OpenMP backend (Debian's LibTorch) its implementation is an
// `omp parallel` pragma in ATen's header, and pita compiles without -fopenmp, so at::parallel_for
// in pita's own translation units runs every row on the calling thread whatever
// at::set_num_threads says.
#include <cstdint>
#include <functional>

namespace pita {

/// Runs body(begin, end) over the rows [0, n) in contiguous chunks, on up to
/// at::get_num_threads() threads: the caller and helpers from ATen's inter-op pool (at::launch)
/// claim chunks from a shared counter until none are left, and the call returns when every
/// chunk has run.
///
/// Chunking: a chunk holds max(min_chunk, ceil(n / (8 · threads))) rows (about 8 chunks per
/// thread, so a thread the machine delays is made up for by the others); the last chunk may be
/// shorter. With one thread, or when n fits in one chunk, body(0, n) runs on the caller. body is
/// not called when n = 0.
///
/// Determinism: each row lies in exactly one chunk and each chunk runs on exactly one thread, so
/// when body computes row i from row i's inputs alone (no reduction across rows) the results are
/// bitwise the same for any thread count. Scratch buffers belong in body (one per chunk).
///
/// Exceptions: the first exception thrown by body (on any thread) is rethrown to the caller after
/// every started chunk has finished; chunks not yet started when it was thrown are skipped.
///
/// The caller waits only for chunks that a helper has claimed and is running, so helpers that
/// never start (a busy pool, or the caller itself on a pool thread) cannot block it.
///
/// @param n          number of rows, >= 0
/// @param min_chunk  fewest rows per chunk, >= 1: large enough that a chunk's work outweighs
///                   handing it to a thread (a few microseconds)
/// @param body       called as body(begin, end) for a half-open range of rows; must be safe to run
///                   concurrently on disjoint ranges
void parallel_rows(int64_t n, int64_t min_chunk,
                   const std::function<void(int64_t begin, int64_t end)>& body);

}  // namespace pita
