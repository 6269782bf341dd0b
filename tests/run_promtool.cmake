# ctest's AlertRules.* tests: `promtool ACTION rules FILE`, failing with a clear message when
# promtool is not installed (instead of the tests silently not existing).
#   cmake -DACTION=check|test -DFILE=<rules or test file> -P run_promtool.cmake
find_program(PROMTOOL promtool)
if(NOT PROMTOOL)
  message(FATAL_ERROR "promtool is not installed (Debian's package prometheus has it): "
                      "run scripts/setup.sh, then ctest again")
endif()
execute_process(COMMAND ${PROMTOOL} ${ACTION} rules ${FILE} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "promtool ${ACTION} rules ${FILE} failed (${result})")
endif()
