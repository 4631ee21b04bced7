#pragma once
// The peptide files tests load: data/molecules/<name>.{system.xml,pdb} (OpenMM builds only),
// and line edits that make broken copies of them for the bad-input tests.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "pita/molecule/molecule.h"

namespace pita::testing {

/// MoleculeParams of data/molecules/<name> (aldp, aaa, aaaa), other fields at their defaults.
inline MoleculeParams molecule_params(const std::string& name) {
    MoleculeParams p;
    p.system = std::string(PITA_SOURCE_DIR) + "/data/molecules/" + name + ".system.xml";
    p.pdb = std::string(PITA_SOURCE_DIR) + "/data/molecules/" + name + ".pdb";
    return p;
}

/// The whole of a text file ("" if it cannot be read).
inline std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// `text` with `from` replaced by `to` in the first line that holds `marker` (after `after`,
/// when given: e.g. the force whose entries to edit). A test failure if either is missing.
inline std::string edit_first_line(std::string text, const std::string& marker,
                                   const std::string& from, const std::string& to,
                                   const std::string& after = "") {
    const size_t start = after.empty() ? 0 : text.find(after);
    EXPECT_NE(start, std::string::npos) << after;
    const size_t at_marker = text.find(marker, start == std::string::npos ? 0 : start);
    EXPECT_NE(at_marker, std::string::npos) << marker;
    if (at_marker == std::string::npos) return text;
    const size_t begin = text.rfind('\n', at_marker) + 1;
    const size_t end = text.find('\n', at_marker);
    std::string line = text.substr(begin, end - begin);
    const size_t pos = line.find(from);
    EXPECT_NE(pos, std::string::npos) << from << " in " << line;
    if (pos == std::string::npos) return text;
    line.replace(pos, from.size(), to);
    return text.substr(0, begin) + line + text.substr(end);
}

/// `text` without the first line that holds `marker` (after `after`, when given).
inline std::string remove_first_line(const std::string& text, const std::string& marker,
                                     const std::string& after = "") {
    const size_t at_marker = text.find(marker, after.empty() ? 0 : text.find(after));
    EXPECT_NE(at_marker, std::string::npos) << marker;
    if (at_marker == std::string::npos) return text;
    const size_t begin = text.rfind('\n', at_marker) + 1;
    return text.substr(0, begin) + text.substr(text.find('\n', at_marker) + 1);
}

/// `path` written with `text`; returns path as a string.
inline std::string write_text_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
    return path.string();
}

}  // namespace pita::testing
