# Usage: cmake -DPAGE=path/to/index.html -P run_viewer_check.cmake
# Opens a lesson's viewer page in headless Chromium, from the file system, and reads back the
# page's own self-check (trace/viewer/viewer.js: elements drawn, no script error) from the DOM.
# Without Chromium the test is skipped (SKIP_REGULAR_EXPRESSION in CMakeLists.txt).
find_program(CHROMIUM NAMES chromium chromium-browser)
if(NOT CHROMIUM)
  message(STATUS "SKIPPED: chromium is not installed (apt-get install chromium), so the page was not opened")
  return()
endif()
if(NOT EXISTS ${PAGE})
  message(FATAL_ERROR "no page ${PAGE}: did the lesson's smoke test run?")
endif()
# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. --virtual-time-budget
# lets the page's script run to its end before the DOM is dumped.
execute_process(
  COMMAND ${CHROMIUM} --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
          --virtual-time-budget=5000 --dump-dom file://${PAGE}
  RESULT_VARIABLE result OUTPUT_VARIABLE dom ERROR_VARIABLE errors TIMEOUT 90)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "chromium could not open ${PAGE} (${result}):\n${errors}")
endif()
string(REGEX MATCH "id=\"self-check\" data-result=\"([^\"]*)\"" found "${dom}")
if(NOT found)
  message(FATAL_ERROR "${PAGE}: no self-check in the page Chromium drew (did its script run?)")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL "ok")
  message(FATAL_ERROR "${PAGE}: the page's self-check says: ${CMAKE_MATCH_1}")
endif()
string(REGEX MATCH "self-check: ok \\(([0-9]+) checks\\)" counted "${dom}")
message(STATUS "${PAGE}: self-check ok (${CMAKE_MATCH_1} checks)")
