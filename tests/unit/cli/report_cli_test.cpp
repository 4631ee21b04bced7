// `pita report RUN_DIR` end to end: a short LJ-13 smoke run and the ALDP smoke run write their
// report (and `--resume` rewrites it); the report is opened in headless Chromium (`--dump-dom`,
// `--screenshot`, `--log-net-log`), which must find every section and figure and log no network
// request of the page; bad directories are refused with exit code 2.
//
// The network check reads Chromium's net log: every URL request that is not file:// and was made
// on behalf of the page (its initiator is an origin — "null" for a file:// page — or its network
// isolation key is the file:// page's) counts. Chromium's own background requests (component
// updates and the like: initiator "not an origin", no page key) are not the page's. A control
// page with one external <img> shows that the check does see a request when a page makes one.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_helpers.h"
#include "support/text_helpers.h"

namespace {

using pita::testing::count_of;
using pita::testing::read_text;

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using pita::testing::Outcome;
using pita::testing::run_command;

/// The URLs a page requested from the network, from a Chromium net log (see the file comment).
std::vector<std::string> page_network_requests(const fs::path& netlog) {
    const nlohmann::json log = nlohmann::json::parse(read_text(netlog));
    const int start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].get<int>();
    std::vector<std::string> urls;
    for (const auto& e : log["events"]) {
        if (e.value("type", -1) != start_job || !e.contains("params")) continue;
        const nlohmann::json& p = e["params"];
        const std::string url = p.value("url", "");
        if (url.rfind("file:", 0) == 0) continue;
        const bool from_page =
            p.value("initiator", "not an origin") != "not an origin" ||
            p.value("network_isolation_key", "").find("file://") != std::string::npos;
        if (from_page) urls.push_back(url);
    }
    return urls;
}

class ReportCliTest : public pita::testing::ScratchDirTest {
  protected:
    static bool have_chromium() { return run_command("command -v chromium").exit_code == 0; }

    struct Browser {
        Outcome outcome;
        std::string dom;
        fs::path screenshot, netlog;
    };

    /// Opens `page` in headless Chromium once: the DOM after loading, a screenshot and a net log.
    Browser open_in_chromium(const fs::path& page, const std::string& name) const {
        Browser b;
        b.screenshot = dir_ / (name + ".png");
        b.netlog = dir_ / (name + ".netlog.json");
        const fs::path dom = dir_ / (name + ".dom.html");
        b.outcome = run_command(
            "(timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
            "--no-first-run --disable-background-networking --disable-component-update "
            "--disable-sync "
            "--disable-extensions --hide-scrollbars --window-size=1400,2400 --user-data-dir=" +
            (dir_ / (name + ".profile")).string() + " --log-net-log=" + b.netlog.string() +
            " --screenshot=" + b.screenshot.string() + " --dump-dom file://" +
            fs::absolute(page).string() + " > " + dom.string() + " 2> " +
            (dir_ / (name + ".chromium.log")).string() + ")");
        b.dom = read_text(dom);
        if (b.outcome.exit_code != 0)
            b.outcome.output += read_text(dir_ / (name + ".chromium.log"));
        return b;
    }

    /// The report as written, then as a browser sees it: every id present (and `absent` not),
    /// `figures` figures with an inline SVG each, nothing fetched.
    void check_report(const fs::path& html_path, const std::vector<std::string>& ids,
                      const std::vector<std::string>& absent, int figures) const {
        const std::string html = read_text(html_path);
        ASSERT_FALSE(html.empty()) << html_path;
        EXPECT_LT(html.size(), 2u << 20) << "the report should stay small";
        // Self-contained: no external reference of any kind, no script.
        for (const char* bad : {"http://", "https://", "<script", "src=", "<link", "@import",
                                "url(", "<img", "<iframe"})
            EXPECT_THAT(html, Not(HasSubstr(bad))) << bad;
        for (const std::string& id : ids) EXPECT_THAT(html, HasSubstr("id=\"" + id + "\"")) << id;
        for (const std::string& id : absent)
            EXPECT_THAT(html, Not(HasSubstr("id=\"" + id + "\""))) << id;
        EXPECT_EQ(count_of(html, "<figure class=\"plot\""), figures);

        if (!have_chromium())
            GTEST_SKIP() << "chromium not found, so the browser checks are skipped "
                            "(scripts/install-deps.sh installs it; CI has it)";
        const Browser b = open_in_chromium(html_path, html_path.stem().string());
        ASSERT_EQ(b.outcome.exit_code, 0) << b.outcome.output;
        for (const std::string& id : ids) EXPECT_THAT(b.dom, HasSubstr("id=\"" + id + "\"")) << id;
        EXPECT_EQ(count_of(b.dom, "<figure class=\"plot\""), figures);
        EXPECT_EQ(count_of(b.dom, "<svg class=\"chart\""), figures);
        const std::string png = read_text(b.screenshot);
        ASSERT_GT(png.size(), 8u);
        EXPECT_EQ(png.substr(1, 3), "PNG");
        EXPECT_GT(png.size(), 20000u) << "a blank page? " << b.screenshot;
        ASSERT_TRUE(fs::exists(b.netlog));
        EXPECT_TRUE(page_network_requests(b.netlog).empty())
            << "the report requested: " << page_network_requests(b.netlog).front();
    }
};

TEST_F(ReportCliTest, TheNetworkCheckSeesARequestThatAPageMakes) {
    if (!have_chromium())
        GTEST_SKIP() << "chromium not found (scripts/install-deps.sh installs it; CI has it)";
    // Nothing listens on port 9 (discard); the request is logged whether or not it succeeds.
    std::ofstream(dir_ / "control.html")
        << "<!DOCTYPE html><html><body><p id=\"x\">control</p>"
           "<img src=\"http://127.0.0.1:9/pita-network-probe.png\"></body></html>";
    const Browser b = open_in_chromium(dir_ / "control.html", "control");
    ASSERT_EQ(b.outcome.exit_code, 0) << b.outcome.output;
    EXPECT_THAT(b.dom, HasSubstr("id=\"x\""));
    EXPECT_THAT(page_network_requests(b.netlog),
                ::testing::Contains(HasSubstr("pita-network-probe.png")));
}

TEST_F(ReportCliTest, ReportOfALennardJonesRunShowsEverySectionAndLoadsNothing) {
    if (PITA_SANITIZED != 0) GTEST_SKIP() << "a minute under ASan; runs in the Release build";
    const std::string run =
        std::string(PITA_BINARY) + " run " + PITA_SOURCE_DIR +
        "/configs/smoke.yaml threads=1 metrics.reference=" + PITA_SOURCE_DIR +
        "/data/lj13/reference data.warmup_steps=500 data.production_steps=640 train.steps=40 "
        "anneal.steps=20 anneal.n_samples=128 metrics.equivariant_samples=16 "
        "metrics.max_samples=500 ";
    const fs::path r = dir_ / "r";
    const Outcome o = run_command(run + "--out " + r.string());
    ASSERT_EQ(o.exit_code, 0) << o.output;
    // pita run writes the report at its end, and a resume rewrites it.
    EXPECT_THAT(o.output, HasSubstr("report: " + (r / "report.html").string()));
    ASSERT_TRUE(fs::exists(r / "report.html"));
    // A report that cannot be written (here a directory is in its way) is a warning: the run's
    // outputs are complete and it succeeds.
    fs::remove(r / "report.html");
    fs::create_directories(r / "report.html/in-the-way");
    const Outcome blocked = run_command(run + "--resume " + r.string());
    EXPECT_EQ(blocked.exit_code, 0) << blocked.output;
    EXPECT_THAT(blocked.output, HasSubstr("warning: the report was not written"));
    EXPECT_THAT(blocked.output, HasSubstr("`pita report " + r.string() + "` writes it"));
    EXPECT_TRUE(fs::exists(r / "metrics.json"));
    fs::remove_all(r / "report.html");
    const Outcome resumed = run_command(run + "--resume " + r.string());
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_TRUE(fs::is_regular_file(r / "report.html"));

    const fs::path out = dir_ / "lj-report.html";
    const Outcome rep =
        run_command(std::string(PITA_BINARY) + " report " + r.string() + " --out " + out.string());
    ASSERT_EQ(rep.exit_code, 0) << rep.output;
    EXPECT_THAT(rep.output, HasSubstr("report: " + out.string()));
    EXPECT_THAT(rep.output, Not(HasSubstr("note:")));  // every reference was found
    check_report(
        out,
        {"run", "metrics", "metrics-table", "energy", "distances", "sde", "training", "cost",
         "config", "energy-T4", "energy-T3", "distances-T4", "distances-T3", "sde-ess-T3",
         "sde-variance-T3", "loss-stage0", "cost-evaluations", "cost-seconds", "config-text"},
        {"ramachandran"}, 9);
    // The metrics table has the networks' row and the final row of the annealed rung.
    const std::string html = read_text(out);
    EXPECT_THAT(html, HasSubstr("<tr class=\"networks rung-start\">"));
}

#ifdef PITA_WITH_OPENMM
TEST_F(ReportCliTest, ReportOfAPeptideRunShowsRamachandranMapsBesideTheReference) {
    if (PITA_SANITIZED != 0) GTEST_SKIP() << "a minute under ASan; runs in the Release build";
    const std::string src = PITA_SOURCE_DIR;
    const fs::path r = dir_ / "r";
    const Outcome o = run_command(std::string(PITA_BINARY) + " run " + src +
                                  "/configs/aldp-smoke.yaml threads=1 energy.system=" + src +
                                  "/data/molecules/aldp.system.xml energy.pdb=" + src +
                                  "/data/molecules/aldp.pdb metrics.reference=" + src +
                                  "/data/aldp/reference --out " + r.string());
    ASSERT_EQ(o.exit_code, 0) << o.output;
    const Outcome rep = run_command(std::string(PITA_BINARY) + " report " + r.string());
    ASSERT_EQ(rep.exit_code, 0) << rep.output;
    check_report(r / "report.html",
                 {"run", "metrics", "energy", "ramachandran", "sde", "training", "cost", "config",
                  "energy-T1200", "energy-T755.95", "rama-T1200-ALA2", "rama-T755.95-ALA2",
                  "sde-ess-T755.95", "sde-variance-T755.95", "loss-stage0", "cost-evaluations",
                  "cost-seconds"},
                 {"distances"}, 9);
    // Generated beside reference: the annealed rung's map has the samples, what the networks
    // delivered, and the reference (8000 samples at 755.95 K).
    const std::string html = read_text(r / "report.html");
    EXPECT_THAT(html, HasSubstr(">annealed (64)</text>"));
    EXPECT_THAT(html, HasSubstr(">networks (64)</text>"));
    EXPECT_THAT(html, HasSubstr(">reference (8000)</text>"));
}
#endif

TEST_F(ReportCliTest, ADirectoryThatIsNotARunIsRefusedWithExitCode2AndAHint) {
    const std::string pita = std::string(PITA_BINARY) + " report ";
    Outcome o = run_command(pita + (dir_ / "missing").string());
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_THAT(o.output, HasSubstr("no such directory. Pass the output directory of `pita run`"));
    o = run_command(pita + dir_.string());
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_THAT(o.output, HasSubstr("no run.json there"));
    std::ofstream(dir_ / "run.json") << R"({"command": "mcmc", "config": {"ladder": [1]}})";
    o = run_command(pita + dir_.string());
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_THAT(o.output, HasSubstr("`pita evaluate " + dir_.string() + "` scores"));
    std::ofstream(dir_ / "run.json") << R"({"command": "run", "config": {"ladder": [4, 3]}})";
    o = run_command(pita + dir_.string() + " --reference " + (dir_ / "nowhere").string());
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_THAT(o.output, HasSubstr("reference directory"));
    EXPECT_FALSE(fs::exists(dir_ / "report.html"));
    // A run directory before its first output: a report with what there is (the config).
    o = run_command(pita + dir_.string());
    EXPECT_EQ(o.exit_code, 0) << o.output;
    EXPECT_THAT(o.output, HasSubstr("no metrics.json: the run has not finished"));
    EXPECT_THAT(read_text(dir_ / "report.html"), HasSubstr("id=\"config\""));
}

}  // namespace
