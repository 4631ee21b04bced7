# FindOpenMM: Debian's libopenmm-dev ships no CMake config. Defines OpenMM::OpenMM.
find_path(OpenMM_INCLUDE_DIR OpenMM.h)
find_library(OpenMM_LIBRARY OpenMM)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenMM REQUIRED_VARS OpenMM_LIBRARY OpenMM_INCLUDE_DIR)
if(OpenMM_FOUND AND NOT TARGET OpenMM::OpenMM)
  add_library(OpenMM::OpenMM UNKNOWN IMPORTED)
  set_target_properties(OpenMM::OpenMM PROPERTIES
    IMPORTED_LOCATION ${OpenMM_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${OpenMM_INCLUDE_DIR})
endif()
mark_as_advanced(OpenMM_INCLUDE_DIR OpenMM_LIBRARY)
