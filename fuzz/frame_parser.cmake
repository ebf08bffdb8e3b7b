# frame_parser_fuzzer: the transport's pure FrameParser under libFuzzer.
# Included from fuzz/CMakeLists.txt (clang only, after its compiler check).
# Like decode_fuzzer it compiles its own copy of the code under test with
# -fsanitize=fuzzer: the base layer and the parser (no syscalls, no loop).
#
#   build/fuzz/frame_parser_fuzzer -max_total_time=60 -max_len=8192
set(frame_parser_fuzz_sources ${CMAKE_CURRENT_LIST_DIR}/frame_parser_fuzzer.cc
                              ${PROJECT_SOURCE_DIR}/src/transport/frame_parser.cc)
get_target_property(frame_parser_fuzz_base valence_base SOURCES)
get_target_property(frame_parser_fuzz_base_dir valence_base SOURCE_DIR)
foreach(source IN LISTS frame_parser_fuzz_base)
  if(NOT IS_ABSOLUTE "${source}")
    set(source "${frame_parser_fuzz_base_dir}/${source}")
  endif()
  list(APPEND frame_parser_fuzz_sources "${source}")
endforeach()

add_executable(frame_parser_fuzzer ${frame_parser_fuzz_sources})
target_include_directories(frame_parser_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/include
                                                       ${PROJECT_SOURCE_DIR}/src)
target_compile_options(frame_parser_fuzzer PRIVATE -fsanitize=fuzzer)
target_link_options(frame_parser_fuzzer PRIVATE -fsanitize=fuzzer)
valence_set_warnings(frame_parser_fuzzer)
