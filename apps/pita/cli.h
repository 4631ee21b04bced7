#pragma once
namespace pita::cli {
int run(int argc, char** argv);
}
