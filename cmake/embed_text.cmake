# Writes OUT, a C++ source defining `extern const char* const NAME_i` for each
# input file, NUL-terminated. Run: cmake -DOUT=.. -DNAMESPACE=..
# -DINPUTS="name=path|..." -P embed_text.cmake
#
# The bytes go in as an array, not a string literal: the runtime's sources
# outgrow the 65,536 characters a compiler must accept in one literal (clang's
# -Woverlength-strings, an error under -Werror), and an array has no delimiter
# a source could contain.
set(body "// Generated from the files below by cmake/embed_text.cmake. Do not edit.\n")
string(APPEND body "namespace ${NAMESPACE} {\n")
string(REPLACE "|" ";" INPUTS "${INPUTS}")
foreach(entry IN LISTS INPUTS)
  string(REGEX MATCH "^([^=]+)=(.*)$" _ "${entry}")
  set(name "${CMAKE_MATCH_1}")
  set(path "${CMAKE_MATCH_2}")
  file(READ "${path}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # Sixteen bytes a line keeps the generated file readable in a diff or a debugger.
  # (CMake's regular expressions have no {n}.)
  string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line)
  string(REGEX REPLACE "(${line})" "\\1\n" bytes "${bytes}")
  string(APPEND body "// ${path}\nstatic const unsigned char ${name}_bytes[] = {\n${bytes}0x00};\n")
  string(APPEND body "extern const char* const ${name};\n")
  string(APPEND body "const char* const ${name} = reinterpret_cast<const char*>(${name}_bytes);\n")
endforeach()
string(APPEND body "}  // namespace ${NAMESPACE}\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
