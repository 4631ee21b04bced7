#include "pita/core/parallel_rows.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>

#include <ATen/Parallel.h>

#include "pita/core/error.h"

namespace pita {
namespace {

constexpr int64_t kChunksPerThread = 8;

/// State shared by the caller and its helpers; helpers hold it by shared_ptr because one may
/// start after the caller has returned (it then finds no chunk left).
struct RowChunks {
    std::atomic<int64_t> next{0};     ///< the next unclaimed chunk
    std::atomic<bool> failed{false};  ///< set by the first throwing chunk: skip the rest
    int64_t n = 0;
    int64_t chunk = 0;
    int64_t n_chunks = 0;
    const std::function<void(int64_t, int64_t)>* body = nullptr;  ///< valid until all chunks end
    std::mutex mutex;
    std::condition_variable all_done;
    int64_t done = 0;          ///< chunks finished or skipped; guarded by mutex
    std::exception_ptr error;  ///< the first exception; guarded by mutex

    /// Claims and runs chunks until none are left. Every claimed chunk is counted as done, run or
    /// skipped, so the caller's wait ends once all chunks are claimed and the running ones end.
    void work() {
        int64_t finished = 0;
        std::exception_ptr thrown;
        for (int64_t c = next.fetch_add(1); c < n_chunks; c = next.fetch_add(1)) {
            if (!failed.load()) {
                try {
                    (*body)(c * chunk, std::min(n, (c + 1) * chunk));
                } catch (...) {
                    if (!thrown) thrown = std::current_exception();
                    failed.store(true);
                }
            }
            ++finished;
        }
        if (finished == 0) return;
        const std::lock_guard<std::mutex> lock(mutex);
        if (thrown && !error) error = thrown;
        done += finished;
        if (done == n_chunks) all_done.notify_all();
    }
};

}  // namespace

void parallel_rows(int64_t n, int64_t min_chunk,
                   const std::function<void(int64_t begin, int64_t end)>& body) {
    PITA_ASSERT(n >= 0 && min_chunk >= 1, "[parallel_rows] got n = {}, min_chunk = {}", n,
                min_chunk);
    if (n == 0) return;
    const int64_t threads = std::max(1, at::get_num_threads());
    const int64_t chunk =
        std::max(min_chunk, (n + kChunksPerThread * threads - 1) / (kChunksPerThread * threads));
    const int64_t n_chunks = (n + chunk - 1) / chunk;
    const int64_t n_helpers = std::min(threads, n_chunks) - 1;
    if (n_helpers == 0) {
        body(0, n);
        return;
    }
    auto shared = std::make_shared<RowChunks>();
    shared->n = n;
    shared->chunk = chunk;
    shared->n_chunks = n_chunks;
    shared->body = &body;
    for (int64_t t = 0; t < n_helpers; ++t) at::launch([shared] { shared->work(); });
    shared->work();
    std::unique_lock<std::mutex> lock(shared->mutex);
    shared->all_done.wait(lock, [&] { return shared->done == shared->n_chunks; });
    if (shared->error) std::rethrow_exception(shared->error);
}

}  // namespace pita
