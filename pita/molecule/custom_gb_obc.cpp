#include "pita/molecule/custom_gb_obc_impl.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>
#include <vector>

#include <ATen/ATen.h>
#include <openmm/CustomGBForce.h>

#include "pita/core/error.h"

namespace pita::detail {
namespace {

constexpr const char* kHint =
    "Hint: pita implements the OBC models of OpenMM's implicit/obc1.xml and implicit/obc2.xml "
    "(and GBSAOBCForce, e.g. amber99_obc.xml) with kappa = 0; regenerate the System with one of "
    "those (scripts/make_openmm_system.py).";

/// An expression split as OpenMM reads it: the main expression, then "name=value" definitions.
/// Whitespace is dropped; numeric definitions (dielectrics, offset, ...) are kept apart so that
/// the remaining structure can be compared with a template as plain text.
struct Expression {
    std::string structure;  ///< main expression + sorted symbolic definitions, ';'-separated
    std::map<std::string, double> numbers;
};

std::optional<double> parse_number(const std::string& text) {
    if (text.empty()) return std::nullopt;
    size_t used = 0;
    try {
        const double v = std::stod(text, &used);
        if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

Expression parse(const std::string& text) {
    std::string compact;
    std::copy_if(text.begin(), text.end(), std::back_inserter(compact),
                 [](char c) { return !std::isspace(static_cast<unsigned char>(c)); });
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= compact.size()) {
        const size_t end = std::min(compact.find(';', start), compact.size());
        if (end > start) parts.push_back(compact.substr(start, end - start));
        start = end + 1;
    }
    Expression out;
    std::vector<std::string> symbolic;
    for (size_t k = 1; k < parts.size(); ++k) {
        const size_t eq = parts[k].find('=');
        const auto value =
            eq == std::string::npos ? std::nullopt : parse_number(parts[k].substr(eq + 1));
        if (value)
            out.numbers[parts[k].substr(0, eq)] = *value;
        else
            symbolic.push_back(parts[k]);
    }
    std::sort(symbolic.begin(), symbolic.end());
    out.structure = parts.empty() ? std::string() : parts[0];
    for (const auto& s : symbolic) out.structure += ";" + s;
    return out;
}

std::string structure_of(const std::string& text) { return parse(text).structure; }

/// Replaces the number in "(1/f-NUMBER)" by "SHIFT" and returns it; nullopt if there is none.
/// (std::regex would do, but trips GCC 12's -Wmaybe-uninitialized in sanitizer builds.)
std::optional<double> take_shift(std::string& structure) {
    static const std::string open = "(1/f-";
    const size_t begin = structure.find(open);
    if (begin == std::string::npos) return std::nullopt;
    const size_t number = begin + open.size();
    const size_t close = structure.find(')', number);
    if (close == std::string::npos) return std::nullopt;
    const auto value = parse_number(structure.substr(number, close - number));
    if (!value) return std::nullopt;
    structure.replace(number, close - number, "SHIFT");
    return value;
}

const std::string& descreening_template() {
    static const std::string t = structure_of(
        "select(step(r+sr2-or1), 0.5*(1/L-1/U+0.25*(r-sr2^2/r)*(1/(U^2)-1/(L^2))+0.5*log(L/U)/r), "
        "0);U=r+sr2;L=max(or1, D);D=abs(r-sr2)");
    return t;
}
struct BornVariant {
    std::string structure;
    double alpha, beta, gamma;
};
const std::vector<BornVariant>& born_templates() {
    static const std::vector<BornVariant> t = {
        {structure_of("1/(1/or-tanh(0.8*psi+2.909125*psi^3)/radius);psi=I*or; radius=or+offset"),
         0.8, 0.0, 2.909125},  // OBC1
        {structure_of("1/(1/or-tanh(psi-0.8*psi^2+4.85*psi^3)/radius);psi=I*or; radius=or+offset"),
         1.0, 0.8, 4.85},  // OBC2
    };
    return t;
}
const std::string& self_template() {
    static const std::string t =
        structure_of("-0.5*138.935485*(1/soluteDielectric-1/solventDielectric)*charge^2/B");
    return t;
}
const std::string& surface_template() {
    static const std::string t =
        structure_of("28.3919551*(radius+0.14)^2*(radius/B)^6; radius=or+offset");
    return t;
}
const std::string& pair_template_shifted() {
    static const std::string t = structure_of(
        "-138.935485*(1/soluteDielectric-1/solventDielectric)*charge1*charge2*(1/f-SHIFT);"
        "f=sqrt(r^2+B1*B2*exp(-r^2/(4*B1*B2)))");
    return t;
}
const std::string& pair_template_plain() {
    static const std::string t = structure_of(
        "-138.935485*(1/soluteDielectric-1/solventDielectric)*charge1*charge2/f;"
        "f=sqrt(r^2+B1*B2*exp(-r^2/(4*B1*B2)))");
    return t;
}

const char* type_name(OpenMM::CustomGBForce::ComputationType type) {
    switch (type) {
        case OpenMM::CustomGBForce::SingleParticle:
            return "SingleParticle";
        case OpenMM::CustomGBForce::ParticlePair:
            return "ParticlePair";
        case OpenMM::CustomGBForce::ParticlePairNoExclusions:
            return "ParticlePairNoExclusions";
    }
    return "unknown";
}

double number(const Expression& e, const std::string& name, const std::string& what,
              const std::string& where) {
    const auto it = e.numbers.find(name);
    PITA_CHECK(it != e.numbers.end(),
               "[force_field] {}: {} defines no numeric '{}'; expected the OBC model. {}", where,
               what, name, kHint);
    return it->second;
}

}  // namespace

ObcParams obc_params_from_custom_gb(const OpenMM::CustomGBForce& force, const std::string& where) {
    using OpenMM::CustomGBForce;
    PITA_CHECK(force.getNonbondedMethod() == CustomGBForce::NoCutoff ||
                   force.getNonbondedMethod() == CustomGBForce::CutoffNonPeriodic,
               "[force_field] {}: unsupported nonbonded method: got {}; expected NoCutoff (0) or "
               "CutoffNonPeriodic (1). Hint: pita's molecular targets are non-periodic.",
               where, static_cast<int>(force.getNonbondedMethod()));
    PITA_CHECK(force.getNumGlobalParameters() == 0 && force.getNumTabulatedFunctions() == 0,
               "[force_field] {}: got {} global parameters and {} tabulated functions; expected "
               "none. {}",
               where, force.getNumGlobalParameters(), force.getNumTabulatedFunctions(), kHint);

    // Per-particle parameters are found by name, as the expressions refer to them.
    int charge = -1, offset_radius = -1, scaled_radius = -1;
    for (int k = 0; k < force.getNumPerParticleParameters(); ++k) {
        const std::string& n = force.getPerParticleParameterName(k);
        if (n == "charge") charge = k;
        if (n == "or") offset_radius = k;
        if (n == "sr") scaled_radius = k;
    }
    PITA_CHECK(force.getNumPerParticleParameters() == 3 && charge >= 0 && offset_radius >= 0 &&
                   scaled_radius >= 0,
               "[force_field] {}: per-particle parameters: got {}; expected charge, or, sr. {}",
               where, force.getNumPerParticleParameters(), kHint);

    ObcParams p;
    PITA_CHECK(force.getNumComputedValues() == 2,
               "[force_field] {}: got {} computed values; expected 2 (I, B). {}", where,
               force.getNumComputedValues(), kHint);
    for (int k = 0; k < 2; ++k) {
        std::string name, expression;
        CustomGBForce::ComputationType type;
        force.getComputedValueParameters(k, name, expression, type);
        const Expression e = parse(expression);
        if (k == 0) {
            PITA_CHECK(name == "I" && type == CustomGBForce::ParticlePairNoExclusions &&
                           e.structure == descreening_template(),
                       "[force_field] {}: unsupported computed value '{}' ({}): got '{}'; "
                       "expected OBC's descreening integral I. {}",
                       where, name, type_name(type), expression, kHint);
            continue;
        }
        const auto& variants = born_templates();
        const auto it = std::find_if(variants.begin(), variants.end(),
                                     [&](const auto& v) { return v.structure == e.structure; });
        PITA_CHECK(name == "B" && type == CustomGBForce::SingleParticle && it != variants.end(),
                   "[force_field] {}: unsupported computed value '{}' ({}): got '{}'; expected "
                   "the OBC1 or OBC2 Born radius B. {}",
                   where, name, type_name(type), expression, kHint);
        p.alpha = it->alpha;
        p.beta = it->beta;
        p.gamma = it->gamma;
        p.offset = number(e, "offset", "computed value B", where);
    }

    bool have_self = false, have_pair = false;
    p.use_surface_area = false;
    double pair_shift = 0.0;
    for (int k = 0; k < force.getNumEnergyTerms(); ++k) {
        std::string expression;
        CustomGBForce::ComputationType type;
        force.getEnergyTermParameters(k, expression, type);
        // The pair term carries 1/cutoff inline, "(1/f-0.5)"; take it out before comparing.
        Expression e = parse(expression);
        if (const auto shift = take_shift(e.structure)) pair_shift = *shift;
        const std::string what = fmt::format("energy term {} ('{}')", k, expression);
        if (type == CustomGBForce::SingleParticle && e.structure == self_template()) {
            PITA_CHECK(number(e, "kappa", what, where) == 0.0,
                       "[force_field] {}: {} has kappa = {}; expected 0 (no salt). {}", where, what,
                       number(e, "kappa", what, where), kHint);
            p.solute_dielectric = number(e, "soluteDielectric", what, where);
            p.solvent_dielectric = number(e, "solventDielectric", what, where);
            p.coulomb_constant = 138.935485;  // as the expression writes it, not ONE_4PI_EPS0
            have_self = true;
        } else if (type == CustomGBForce::SingleParticle && e.structure == surface_template()) {
            PITA_CHECK(
                std::abs(number(e, "offset", what, where) - p.offset) < 1e-12,
                "[force_field] {}: {} uses offset {}; expected the Born radius offset {}. {}",
                where, what, number(e, "offset", what, where), p.offset, kHint);
            p.use_surface_area = true;
            p.surface_area_factor = 28.3919551;
            p.probe_radius = 0.14;
        } else if (type == CustomGBForce::ParticlePairNoExclusions &&
                   (e.structure == pair_template_shifted() ||
                    e.structure == pair_template_plain())) {
            PITA_CHECK(number(e, "kappa", what, where) == 0.0,
                       "[force_field] {}: {} has kappa = {}; expected 0 (no salt). {}", where, what,
                       number(e, "kappa", what, where), kHint);
            if (e.structure == pair_template_plain()) pair_shift = 0.0;
            have_pair = true;
        } else {
            PITA_CHECK(false,
                       "[force_field] {}: unsupported energy term {} ({}): got '{}'; expected one "
                       "of the OBC terms (polar self energy, ACE surface area, GB pair). {}",
                       where, k, type_name(type), expression, kHint);
        }
    }
    PITA_CHECK(have_self && have_pair,
               "[force_field] {}: the OBC polar self and pair energy terms: got {}self and "
               "{}pair; expected both. {}",
               where, have_self ? "" : "no ", have_pair ? "" : "no ", kHint);

    p.use_cutoff = force.getNonbondedMethod() == CustomGBForce::CutoffNonPeriodic;
    p.cutoff = force.getCutoffDistance();
    p.screening_shift = pair_shift;
    p.engulf_correction = false;

    const int n = force.getNumParticles();
    p.charge = at::empty({n}, at::kDouble);
    p.offset_radius = at::empty({n}, at::kDouble);
    p.scaled_radius = at::empty({n}, at::kDouble);
    auto* q = p.charge.data_ptr<double>();
    auto* o = p.offset_radius.data_ptr<double>();
    auto* s = p.scaled_radius.data_ptr<double>();
    std::vector<double> values;
    for (int i = 0; i < n; ++i) {
        force.getParticleParameters(i, values);
        q[i] = values[static_cast<size_t>(charge)];
        o[i] = values[static_cast<size_t>(offset_radius)];
        s[i] = values[static_cast<size_t>(scaled_radius)];
    }
    return p;
}

}  // namespace pita::detail
