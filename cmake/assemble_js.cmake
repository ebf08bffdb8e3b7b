# Writes OUT: the JavaScript file IN with its `// @valence-constants` line
# replaced by the contents of CONSTANTS (tools/gen_js_constants.cc's output).
# Run: cmake -DIN=.. -DCONSTANTS=.. -DOUT=.. -P assemble_js.cmake
file(READ "${IN}" text)
file(READ "${CONSTANTS}" constants)
string(FIND "${text}" "// @valence-constants\n" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${IN} has no '// @valence-constants' line")
endif()
string(REPLACE "// @valence-constants\n" "${constants}" text "${text}")
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
