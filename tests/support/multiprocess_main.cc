// The main() of a multiprocess test binary (valence_multiprocess_test in
// tests/CMakeLists.txt): with --valence-child=<scenario> it is a child
// process (multiprocess.h); otherwise it runs the tests.
#include "support/multiprocess.h"

int main(int argc, char** argv) {
  return valence::test::multiprocess_test_main(argc, argv);
}
