#pragma once
// Loss curves as CSV, one row per logged optimizer step, flushed as written so a killed run keeps
// its curve. Columns:
//   stage, step, temperature, total, score, energy_score, energy_matching, target_score,
//   grad_norm, wall_s
// `temperature` is that of the buffer the step trained on; a loss whose weight is 0 is left empty;
// grad_norm is the global norm before clipping; wall_s counts from the start of the (resumed)
// process. Read it with any CSV reader (pandas.read_csv, gnuplot, a spreadsheet).
#include <cstdint>
#include <fstream>
#include <string>

#include "pita/train/losses.h"

namespace pita {

struct TrainingLogRow {
    int64_t stage = 0;
    int64_t step = 0;
    double temperature = 0.0;
    LossTerms terms;
    double grad_norm = 0.0;
    double wall_s = 0.0;
};

class TrainingLog {
  public:
    /// Opens `path` for appending and writes the header if the file is new. A resumed run passes
    /// the step of its checkpoint as `keep_through_step`: rows logged after it (by the killed
    /// process) are dropped first, so the curve has no duplicate steps. -1 keeps everything.
    /// @throws IoError when the file cannot be opened.
    explicit TrainingLog(std::string path, int64_t keep_through_step = -1);

    void append(const TrainingLogRow& row);
    const std::string& path() const { return path_; }

    static const char* header();

  private:
    std::string path_;
    std::ofstream out_;
};

}  // namespace pita
