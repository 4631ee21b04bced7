# pita_set_warnings(target): our warning set. Third-party headers come in as SYSTEM includes,
# so -Werror only ever sees pita's own code.
function(pita_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual)
  if(PITA_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
