# The committed lessons/support/exercise_reference.cpp is exactly what the generator prints from
# the reference implementations now, so the values a lesson checks against cannot go stale.
#   cmake -DTOOL=<glimpse_exercise_reference> -DCOMMITTED=<file> -DOUT=<scratch file> -P check_reference_generated.cmake
execute_process(COMMAND ${TOOL} OUTPUT_FILE ${OUT} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the generator failed (${rc}): ${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${COMMITTED} RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "lessons/support/exercise_reference.cpp is not what the references compute now: "
                      "regenerate it as tools/exercise_reference.cpp says (new output: ${OUT})")
endif()
file(REMOVE ${OUT})
