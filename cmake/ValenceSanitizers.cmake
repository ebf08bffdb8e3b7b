# Applies VALENCE_SANITIZER to everything built after this point.
if(VALENCE_SANITIZER)
  if(VALENCE_SANITIZER MATCHES "thread" AND VALENCE_SANITIZER MATCHES "address")
    message(FATAL_ERROR "VALENCE_SANITIZER: thread and address are mutually exclusive")
  endif()
  add_compile_options(-fsanitize=${VALENCE_SANITIZER} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${VALENCE_SANITIZER})
  message(STATUS "valence: sanitizers ${VALENCE_SANITIZER}")
endif()
