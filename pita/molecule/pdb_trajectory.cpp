#include "pita/molecule/pdb_trajectory.h"

#include <cctype>
#include <ostream>
#include <string>

#include <ATen/core/Tensor.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/io/atomic_file.h"
#include "pita/io/trajectory.h"

namespace pita {

namespace {

constexpr int64_t kMaxModels = 9999;  // MODEL serial: columns 11-14
constexpr int64_t kMaxAtoms = 99999;  // atom serial: columns 7-11

void check_atom(const PdbAtom& atom, size_t index) {
    PITA_CHECK(!atom.name.empty() && atom.name.size() <= 4 && atom.residue_name.size() <= 4 &&
                   atom.chain.size() <= 1 && atom.element.size() <= 2 &&
                   atom.residue_number >= -999 && atom.residue_number <= 9999,
               "[pdb] atom {}: got name '{}', residue '{}' {}, chain '{}', element '{}'; expected "
               "a name of 1-4 characters, a residue name of at most 4, a residue number in "
               "-999 to 9999, a chain of at most 1 character and an element of at most 2 (the "
               "PDB columns). Write a DCD (pita/io/trajectory.h) for larger systems.",
               index, atom.name, atom.residue_name, atom.residue_number, atom.chain, atom.element);
}

/// Columns 13-16: as OpenMM's PDBFile writes them, a name shorter than 4 characters starting
/// with a letter, of a one-letter element, begins in column 14 (" CA ", " H1 ", "1HB ").
std::string name_field(const PdbAtom& atom) {
    const bool shift = atom.name.size() < 4 &&
                       std::isalpha(static_cast<unsigned char>(atom.name[0])) != 0 &&
                       atom.element.size() < 2;
    return fmt::format("{:<4}", shift ? " " + atom.name : atom.name);
}

/// "ATOM  " line up to column 30, the part every frame repeats.
std::string record_prefix(const PdbAtom& atom, size_t index) {
    const std::string residue = fmt::format("{:<4}", fmt::format("{:>3}", atom.residue_name));
    return fmt::format("ATOM  {:>5} {} {}{:1}{:>4}    ", index + 1, name_field(atom), residue,
                       atom.chain, atom.residue_number);
}

}  // namespace

void write_pdb_models(const std::filesystem::path& path, const std::vector<PdbAtom>& atoms,
                      const at::Tensor& frames_nm) {
    PITA_CHECK(!atoms.empty() && static_cast<int64_t>(atoms.size()) <= kMaxAtoms,
               "[pdb] atoms: got {}; expected 1 to {} (the atom serial field). Write a DCD "
               "(pita/io/trajectory.h) for larger systems.",
               atoms.size(), kMaxAtoms);
    for (size_t i = 0; i < atoms.size(); ++i) check_atom(atoms[i], i);
    const at::Tensor frames =
        checked_frames_angstrom(frames_nm, static_cast<int64_t>(atoms.size()), "pdb");
    const int64_t n_frames = frames.size(0);
    PITA_CHECK(n_frames <= kMaxModels,
               "[pdb] frames: got {}; expected at most {} models (the MODEL serial field). Write "
               "a DCD (pita/io/trajectory.h) for long trajectories.",
               n_frames, kMaxModels);

    std::vector<std::string> prefixes;
    prefixes.reserve(atoms.size());
    for (size_t i = 0; i < atoms.size(); ++i) prefixes.push_back(record_prefix(atoms[i], i));
    std::vector<std::string> suffixes;
    suffixes.reserve(atoms.size());
    for (const PdbAtom& atom : atoms)
        suffixes.push_back(fmt::format("  1.00  0.00          {:>2}  \n", atom.element));

    const auto xyz = frames.accessor<double, 3>();
    std::string text = "REMARK   1 WRITTEN BY PITA, COORDINATES IN ANGSTROM\n";
    for (int64_t f = 0; f < n_frames; ++f) {
        text += fmt::format("MODEL     {:>4}\n", f + 1);
        for (size_t i = 0; i < atoms.size(); ++i) {
            text += prefixes[i];
            for (int k = 0; k < 3; ++k) {
                const double value = xyz[f][static_cast<int64_t>(i)][k];
                const std::string field = fmt::format("{:8.3f}", value);
                PITA_CHECK(
                    field.size() == 8,
                    "[pdb] frames: got coordinate {} Angstrom (frame {}, atom {} '{}', axis {}); "
                    "expected -999.999 to 9999.999 Angstrom, what the PDB %8.3f field holds. "
                    "Write a DCD (pita/io/trajectory.h), or wrap or recentre the "
                    "coordinates first.",
                    value, f, i, atoms[i].name, "xyz"[k]);
                text += field;
            }
            text += suffixes[i];
        }
        text += "ENDMDL\n";
    }
    text += "END\n";
    write_text_atomically(path.string(), text);
}

}  // namespace pita
