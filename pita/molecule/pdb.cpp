#include "pita/molecule/pdb.h"

#include <fstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "pita/core/error.h"

namespace pita {

at::Tensor read_pdb_positions(const std::filesystem::path& path) {
    std::ifstream in(path);
    PITA_CHECK_AS(IoError, in.good(), "[pdb] cannot open: got '{}'; expected a readable PDB file.",
                  path.string());
    std::vector<double> xyz;
    std::string line;
    int line_number = 0;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.rfind("ENDMDL", 0) == 0) break;
        if (line.rfind("ATOM", 0) != 0 && line.rfind("HETATM", 0) != 0) continue;
        // Fixed columns 31-54 hold x, y, z in Å (8 characters each).
        for (size_t k = 0; k < 3; ++k) {
            double value = 0;
            try {
                value = std::stod(line.substr(30 + 8 * k, 8));
            } catch (const std::exception&) {
                PITA_CHECK_AS(IoError, false,
                              "[pdb] {} line {}: unreadable coordinate: got '{}'; expected a "
                              "number in columns {}-{}.",
                              path.string(), line_number, line, 31 + 8 * k, 38 + 8 * k);
            }
            xyz.push_back(0.1 * value);
        }
    }
    PITA_CHECK_AS(IoError, !xyz.empty(),
                  "[pdb] {}: atoms: got none; expected ATOM or HETATM records.", path.string());
    return at::tensor(xyz, at::kDouble).view({-1, 3});
}

}  // namespace pita
