// `pita report RUN_DIR [--out FILE] [--reference DIR]`: one self-contained HTML file showing a
// `pita run` directory (pita/report/run_report.h has the sections). This file parses and prints;
// the library reads the run and writes the report.
#include <fmt/format.h>

#include "commands.h"
#include "pita/report/run_report.h"

namespace pita::cli {

int run_report(const ReportArgs& args) {
    ReportOptions options;
    options.out = args.out;
    options.reference_root = args.reference;
    const ReportResult r = write_run_report(args.run_dir, options);
    for (const std::string& note : r.notes) fmt::print(stderr, "note: {}\n", note);
    fmt::print("report: {} ({:.0f} KB, {:.2f} s)\n", r.path, static_cast<double>(r.bytes) / 1024.0,
               r.seconds);
    return 0;
}

}  // namespace pita::cli
