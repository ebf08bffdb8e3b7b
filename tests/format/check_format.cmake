# Fails when a C++ file under ROOT differs from what clang-format makes of it.
cmake_minimum_required(VERSION 3.25)
file(GLOB_RECURSE files "${ROOT}/include/*.h" "${ROOT}/src/*.h" "${ROOT}/src/*.cc"
     "${ROOT}/tests/*.h" "${ROOT}/tests/*.cc" "${ROOT}/tools/*.cc" "${ROOT}/examples/*.cc"
     "${ROOT}/bench/*.h" "${ROOT}/bench/*.cc" "${ROOT}/fuzz/*.cc")
list(FILTER files EXCLUDE REGEX "/tests/layering/fixture/")
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  string(REGEX MATCHALL "[^\n]*error: code should be clang-formatted" lines "${err}")
  set(bad "")
  foreach(l IN LISTS lines)
    string(REGEX REPLACE ":[0-9]+:[0-9]+: error.*" "" f "${l}")
    list(APPEND bad "${f}")
  endforeach()
  list(REMOVE_DUPLICATES bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "not clang-formatted:\n  ${text}\nrun: clang-format -i <these files>")
endif()
