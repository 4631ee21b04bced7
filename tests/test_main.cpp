// Shared main: pins LibTorch to the cores we have, so tests run as the tool does.
#include <gtest/gtest.h>

#include "pita/core/device.h"

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    pita::set_threads(0);
    return RUN_ALL_TESTS();
}
