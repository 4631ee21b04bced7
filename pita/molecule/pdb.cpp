#include "pita/molecule/pdb.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "pita/core/error.h"

namespace pita {

namespace {

/// Calls `record(line, line_number)` for every ATOM/HETATM line of the first MODEL, in file
/// order; the one reader behind read_pdb_positions() and read_pdb_atoms(), so both see the same
/// atoms. @throws IoError if the file cannot be read or holds no such record
void for_each_atom_record(const std::filesystem::path& path,
                          const std::function<void(const std::string&, int)>& record) {
    std::ifstream in(path);
    PITA_CHECK_AS(IoError, in.good(), "[pdb] cannot open: got '{}'; expected a readable PDB file.",
                  path.string());
    std::string line;
    int line_number = 0;
    int records = 0;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.rfind("ENDMDL", 0) == 0) break;
        if (line.rfind("ATOM", 0) != 0 && line.rfind("HETATM", 0) != 0) continue;
        record(line, line_number);
        ++records;
    }
    PITA_CHECK_AS(IoError, records > 0,
                  "[pdb] {}: atoms: got none; expected ATOM or HETATM records.", path.string());
}

std::string trimmed_field(const std::string& line, size_t begin, size_t length) {
    if (line.size() <= begin) return "";
    std::string s = line.substr(begin, length);
    const size_t first = s.find_first_not_of(' ');
    if (first == std::string::npos) return "";
    const size_t last = s.find_last_not_of(' ');
    return s.substr(first, last - first + 1);
}

/// The number in `field`, or nothing unless the whole field is one finite number. std::stod
/// alone would take "nan", "inf" and "1.5abc" (as 1.5).
std::optional<double> parse_coordinate(const std::string& field) {
    if (field.empty()) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(field.c_str(), &end);
    if (errno != 0 || end != field.c_str() + field.size() || !std::isfinite(value))
        return std::nullopt;
    // The %8.3f columns hold at most ±9999.999 Å; anything beyond is no PDB coordinate (and a
    // 1e300 would make every energy non-finite).
    if (std::abs(value) >= 1e4) return std::nullopt;
    return value;
}

}  // namespace

at::Tensor read_pdb_positions(const std::filesystem::path& path) {
    std::vector<double> xyz;
    for_each_atom_record(path, [&](const std::string& line, int line_number) {
        // Fixed columns 31-54 hold x, y, z in Å (8 characters each).
        for (size_t k = 0; k < 3; ++k) {
            const std::string field = trimmed_field(line, 30 + 8 * k, 8);
            const std::optional<double> value = parse_coordinate(field);
            PITA_CHECK_AS(IoError, value.has_value(),
                          "[pdb] {} line {} (atom {} '{}'): coordinate {}: got '{}'; expected a "
                          "finite number below 10^4 (Å) in columns {}-{}. Hint: a NaN or inf "
                          "coordinate "
                          "comes from a failed minimisation or an overflowed trajectory frame; "
                          "start from the PDB the System was made from.",
                          path.string(), line_number, trimmed_field(line, 6, 5),
                          trimmed_field(line, 12, 4), "xyz"[k], field, 31 + 8 * k, 38 + 8 * k);
            xyz.push_back(0.1 * *value);
        }
    });
    return at::tensor(xyz, at::kDouble).view({-1, 3});
}

std::vector<PdbAtom> read_pdb_atoms(const std::filesystem::path& path) {
    std::vector<PdbAtom> atoms;
    for_each_atom_record(path, [&](const std::string& line, int line_number) {
        PdbAtom atom;
        atom.name = trimmed_field(line, 12, 4);
        atom.residue_name = trimmed_field(line, 17, 3);
        atom.chain = trimmed_field(line, 21, 1);
        const std::string number = trimmed_field(line, 22, 4);
        try {
            atom.residue_number = std::stoi(number);
        } catch (const std::exception&) {
            PITA_CHECK_AS(IoError, false,
                          "[pdb] {} line {}: unreadable residue number: got '{}'; expected an "
                          "integer in columns 23-26.",
                          path.string(), line_number, number);
        }
        atom.element = trimmed_field(line, 76, 2);
        atoms.push_back(std::move(atom));
    });
    return atoms;
}

}  // namespace pita
