#include "pita/train/training_log.h"

#include <filesystem>
#include <sstream>

#include <ATen/core/Tensor.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/io/atomic_file.h"

namespace pita {
namespace {

std::string cell(const at::Tensor& t) {
    return t.defined() ? fmt::format("{:.8g}", t.item<double>()) : std::string();
}

/// Keeps the header and the rows whose step (second column) is at most `last_step`.
void truncate_after(const std::string& path, int64_t last_step) {
    std::ifstream in(path);
    std::ostringstream kept;
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
        if (first) {
            kept << line << '\n';
            first = false;
            continue;
        }
        const auto a = line.find(',');
        const auto b = line.find(',', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;  // a torn last line
        int64_t step = 0;
        try {
            step = std::stoll(line.substr(a + 1, b - a - 1));
        } catch (const std::exception&) {
            continue;
        }
        if (step <= last_step) kept << line << '\n';
    }
    write_text_atomically(path, kept.str());
}

}  // namespace

const char* TrainingLog::header() {
    return "stage,step,temperature,total,score,energy_score,energy_matching,target_score,"
           "energy_consistency,grad_norm,wall_s";
}

TrainingLog::TrainingLog(std::string path, int64_t keep_through_step) : path_(std::move(path)) {
    const bool exists = std::filesystem::exists(path_);
    if (exists && keep_through_step >= 0) truncate_after(path_, keep_through_step);
    out_.open(path_, std::ios::app);
    PITA_CHECK_AS(IoError, out_.good(), "[train] cannot open the loss log '{}' for writing.",
                  path_);
    if (!exists) out_ << header() << '\n' << std::flush;
}

void TrainingLog::append(const TrainingLogRow& r) {
    out_ << fmt::format("{},{},{:g},{},{},{},{},{},{},{:.6g},{:.3f}\n", r.stage, r.step,
                        r.temperature, cell(r.terms.total), cell(r.terms.score),
                        cell(r.terms.energy_score), cell(r.terms.energy_matching),
                        cell(r.terms.target_score), cell(r.terms.energy_consistency), r.grad_norm,
                        r.wall_s)
         << std::flush;
    PITA_CHECK_AS(IoError, out_.good(), "[train] writing the loss log '{}' failed (disk full?).",
                  path_);
}

}  // namespace pita
