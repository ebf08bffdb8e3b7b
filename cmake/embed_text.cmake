# Writes OUT, a C++ source defining `extern const char* const NAME_i` for each
# input file as a raw string literal. Run: cmake -DOUT=.. -DNAMESPACE=..
# -DINPUTS="name=path|..." -P embed_text.cmake
set(body "// Generated from the files below by cmake/embed_text.cmake. Do not edit.\n")
string(APPEND body "namespace ${NAMESPACE} {\n")
string(REPLACE "|" ";" INPUTS "${INPUTS}")
foreach(entry IN LISTS INPUTS)
  string(REGEX MATCH "^([^=]+)=(.*)$" _ "${entry}")
  set(name "${CMAKE_MATCH_1}")
  set(path "${CMAKE_MATCH_2}")
  file(READ "${path}" text)
  if(text MATCHES "\\)valence_js\"")
    message(FATAL_ERROR "${path} contains the raw-string delimiter")
  endif()
  string(APPEND body "// ${path}\nextern const char* const ${name};\nconst char* const ${name} = R\"valence_js(${text})valence_js\";\n")
endforeach()
string(APPEND body "}  // namespace ${NAMESPACE}\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
