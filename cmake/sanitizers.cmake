# PITA_SANITIZE=address;undefined instruments pita's own code. LibTorch is not instrumented, and
# tcmalloc cannot coexist with ASan's allocator, so tcmalloc is dropped in sanitizer builds.
if(PITA_SANITIZE)
  string(REPLACE ";" "," _pita_san "${PITA_SANITIZE}")
  add_compile_options(-fsanitize=${_pita_san} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${_pita_san})
  set(PITA_USE_TCMALLOC OFF CACHE BOOL "" FORCE)
  message(STATUS "pita: sanitizers ${_pita_san} (tcmalloc off)")
endif()
