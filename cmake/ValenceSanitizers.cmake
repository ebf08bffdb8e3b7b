# Applies VALENCE_SANITIZER to everything built after this point.
if(VALENCE_SANITIZER)
  if(VALENCE_SANITIZER MATCHES "thread" AND VALENCE_SANITIZER MATCHES "address")
    message(FATAL_ERROR "VALENCE_SANITIZER: thread and address are mutually exclusive")
  endif()
  add_compile_options(-fsanitize=${VALENCE_SANITIZER} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${VALENCE_SANITIZER})
  if(VALENCE_SANITIZER MATCHES "undefined")
    # UBSan's vptr check reads the object through a pipe it opens on a cache
    # miss; with no descriptor free it calls every new (type, object) pair
    # "invalid vptr". The tests that run main out of descriptors on purpose
    # (PageServerTest.RunningOutOfDescriptors*) are the ones that matter
    # most there, so the check goes; ASan still checks the objects' memory.
    add_compile_options(-fno-sanitize=vptr)
    add_link_options(-fno-sanitize=vptr)
  endif()
  message(STATUS "valence: sanitizers ${VALENCE_SANITIZER}")
endif()
