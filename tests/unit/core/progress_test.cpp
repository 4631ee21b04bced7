#include "pita/core/progress.h"
#include "support/text_helpers.h"

#include <algorithm>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pita {
namespace {

using testing::lines_of;

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

/// A fake clock the test advances by hand, so throttling is deterministic.
struct FakeClock {
    double now = 0.0;
    std::function<double()> fn() {
        return [this] { return now; };
    }
};

ProgressOptions log_options(FakeClock& clock) {
    ProgressOptions o;
    o.mode = ProgressMode::Log;
    o.clock = clock.fn();
    return o;
}

TEST(Progress, LogModeOnAFastLoopPrintsOnlyTheFinishLine) {
    FakeClock clock;
    std::ostringstream out;
    Progress p("train", 1000, out, log_options(clock));
    for (int step = 1; step <= 1000; ++step) {
        clock.now += 0.001;  // 1 s in all: under the 10 s gate
        p.update(step);
    }
    p.finish("loss=0.5");
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 1U) << out.str();
    EXPECT_THAT(lines[0], HasSubstr("train  1000/1000  100.0%"));
    EXPECT_THAT(lines[0], HasSubstr("elapsed 0:01"));
    EXPECT_THAT(lines[0], EndsWith("loss=0.5"));
}

TEST(Progress, LogModeOnASlowLoopPrintsAtMostEveryFivePercent) {
    FakeClock clock;
    std::ostringstream out;
    Progress p("sample", 200, out, log_options(clock));
    for (int step = 1; step <= 200; ++step) {
        clock.now += 60.0;  // every step passes the time gate; the milestones must still throttle
        p.update(step, "ess=0.9");
    }
    p.finish();
    const std::string text = out.str();
    const auto lines = lines_of(text);
    EXPECT_EQ(lines.size(), 21U) << text;  // 20 milestones (5%, ..., 100%) + the finish line
    EXPECT_THAT(lines.front(), HasSubstr("sample  10/200    5.0%"));
    EXPECT_THAT(lines.front(), HasSubstr("60.0 s/it"));
    EXPECT_THAT(lines.front(), HasSubstr("ETA 3:10:00"));
    EXPECT_THAT(lines.front(), HasSubstr("ess=0.9"));
    EXPECT_THAT(lines.back(), HasSubstr("elapsed 3:20:00"));
    EXPECT_THAT(text, Not(HasSubstr("\r")));
    EXPECT_THAT(text, EndsWith("\n"));
}

TEST(Progress, LogModeNeedsBothAMilestoneAndTheTimeGate) {
    FakeClock clock;
    std::ostringstream out;
    Progress p("md", 100, out, log_options(clock));
    for (int step = 1; step <= 100; ++step) {
        clock.now += 1.0;  // a 5% milestone every 5 s, but at most one line per 10 s
        p.update(step);
    }
    EXPECT_EQ(p.lines_printed(), 10);
    EXPECT_THAT(lines_of(out.str()).front(), HasSubstr("md  10/100"));
}

TEST(Progress, UnknownTotalFallsBackToTheTimeGate) {
    FakeClock clock;
    std::ostringstream out;
    Progress p("loop", 0, out, log_options(clock));
    for (int step = 1; step <= 100; ++step) {
        clock.now += 1.0;
        p.update(step);
    }
    p.finish();
    EXPECT_EQ(p.lines_printed(), 11);
    EXPECT_THAT(out.str(), Not(HasSubstr("%")));
    EXPECT_THAT(lines_of(out.str()).back(), HasSubstr("loop  100"));
}

TEST(Progress, LiveModeRewritesOneLineAboutTenTimesPerSecond) {
    FakeClock clock;
    std::ostringstream out;
    ProgressOptions o;
    o.mode = ProgressMode::Live;
    o.clock = clock.fn();
    Progress p("train", 1000, out, o);
    for (int step = 1; step <= 1000; ++step) {
        clock.now += 0.002;  // 2 s in all
        p.update(step, step % 2 == 0 ? "x" : "a much longer extra text");
    }
    p.finish();
    const std::string text = out.str();
    const auto redraws = std::count(text.begin(), text.end(), '\r');
    EXPECT_GE(redraws, 19);
    EXPECT_LE(redraws, 21);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
    EXPECT_THAT(text, EndsWith("\n"));
    EXPECT_THAT(text.substr(text.rfind('\r')), HasSubstr("1000/1000  100.0%"));
}

TEST(Progress, FinishIsIdempotentAndStopsUpdates) {
    FakeClock clock;
    std::ostringstream out;
    Progress p("x", 10, out, log_options(clock));
    p.finish();
    clock.now += 100;
    p.update(10);
    p.finish();
    EXPECT_EQ(lines_of(out.str()).size(), 1U);
}

TEST(Progress, AutoModeIsNotLiveForAStringStream) {
    std::ostringstream out;
    EXPECT_FALSE(Progress("x", 10, out).live());
}

}  // namespace
}  // namespace pita
