# The git hash recorded in run.json. Read at configure time; "unknown" outside a checkout.
find_package(Git QUIET)
set(PITA_GIT_HASH "unknown")
if(GIT_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE PITA_GIT_HASH OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET RESULT_VARIABLE _pita_git_rc)
  if(NOT _pita_git_rc EQUAL 0 OR PITA_GIT_HASH STREQUAL "")
    set(PITA_GIT_HASH "unknown")
  endif()
endif()
