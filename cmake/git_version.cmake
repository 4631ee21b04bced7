# The git hash recorded in run.json, refreshed on every build (not only at configure time) and
# marked "-dirty" when the tree has uncommitted changes. The header is rewritten only when the hash
# changes, so an unchanged tree recompiles nothing.
if(CMAKE_SCRIPT_MODE_FILE)
  set(hash "unknown")
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                    WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE out
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND NOT out STREQUAL "")
      set(hash ${out})
      execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
                      WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE dirty ERROR_QUIET)
      if(NOT dirty STREQUAL "")
        set(hash "${hash}-dirty")
      endif()
    endif()
  endif()
  set(content "#pragma once\n#define PITA_GIT_HASH \"${hash}\"\n")
  if(EXISTS ${OUTPUT})
    file(READ ${OUTPUT} old)
  endif()
  if(NOT old STREQUAL content)
    file(WRITE ${OUTPUT} "${content}")
  endif()
  return()
endif()

set(PITA_GIT_HEADER ${CMAKE_BINARY_DIR}/generated/pita_git_hash.h)
add_custom_target(pita_git_hash
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUTPUT=${PITA_GIT_HEADER}
          -P ${CMAKE_CURRENT_LIST_FILE}
  BYPRODUCTS ${PITA_GIT_HEADER}
  COMMENT "Reading the git hash")
