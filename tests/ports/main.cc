// The multiprocess MessagePort tests' main(): with --valence-child=<scenario>
// this binary is a child process (tests/support/multiprocess.h); otherwise it
// runs the tests.
#include "support/multiprocess.h"

int main(int argc, char** argv) {
  return valence::test::multiprocess_test_main(argc, argv);
}
