# Codec unit tests (included from tests/CMakeLists.txt).
valence_test(codec_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/codec_test.cc ${CMAKE_CURRENT_LIST_DIR}/hostile_input_test.cc
  DEPS valence::codec)
