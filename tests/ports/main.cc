// The multiprocess MessagePort tests' main(): with --valence-child=<scenario>
// this binary is a child process (see harness.h); otherwise it runs the tests.
#include <gtest/gtest.h>

#include "harness.h"

int main(int argc, char** argv) {
  int child = valence::ports_test::run_child_scenario_if_asked(argc, argv);
  if (child >= 0) return child;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
