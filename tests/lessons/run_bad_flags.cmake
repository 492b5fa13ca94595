# Usage: cmake -DLESSON=path/to/NN_topic -DTABLE=bad_flags.txt -DWORK=dir [-DEXTRA=--a|1] -P run_bad_flags.cmake
#
# EXTRA ("|"-separated) goes before every case's own flags: what the lesson needs to run at all
# (lesson 13's --corpus), so that each case is refused for its own flag and for nothing else.
# Runs one lesson with every bad flag of TABLE that applies to it, and with values just outside the
# range of every numeric flag its --help shows. Each run must exit with a non-zero code (a crash or
# a timeout does not count) within 5 s, name the flag in its message, and leave no files: neither
# the --out folder it was given nor anything in the folder it runs in (where a default out/ would go).
# A numeric flag whose --help shows no range fails the test: every number a lesson reads is checked.
cmake_minimum_required(VERSION 3.25)
get_filename_component(LESSON ${LESSON} ABSOLUTE)
get_filename_component(lesson_name ${LESSON} NAME)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/a_file "a regular file: no folder can be made inside it\n")

execute_process(COMMAND ${LESSON} --help RESULT_VARIABLE result OUTPUT_VARIABLE help ERROR_VARIABLE help_errors
                TIMEOUT 5)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${lesson_name} --help failed (${result}): ${help_errors}")
endif()

# ---- the flags --help lists, and the range of each numeric one --------------------------------
# CLI11 prints an option as "  --name TYPE:in [lo, hi]=default ..." (TYPE: INT, UINT or FLOAT).
string(REPLACE "\n" ";" help_lines "${help}")
set(flags "")
set(cases "")  # "|"-separated argument lists, one per case
foreach(line ${help_lines})
  if(NOT line MATCHES "^  (--[a-z0-9-]+)")
    continue()
  endif()
  set(flag ${CMAKE_MATCH_1})
  list(APPEND flags ${flag})
  if(line MATCHES "^  --[a-z0-9-]+ (INT|UINT|FLOAT)")
    set(type ${CMAKE_MATCH_1})
    if(NOT line MATCHES ":in \\[([^,]+), ([^]]+)\\]")
      message(FATAL_ERROR "${lesson_name}: ${flag} takes a number but --help shows no range:\n${line}")
    endif()
    set(lo ${CMAKE_MATCH_1})
    set(hi ${CMAKE_MATCH_2})
    if(type STREQUAL "FLOAT")
      # Every float range is finite and well inside ±1e30.
      list(APPEND cases "${flag}|nan" "${flag}|inf" "${flag}|-1e30" "${flag}|1e30")
    else()
      math(EXPR below "${lo} - 1")
      math(EXPR above "${hi} + 1")
      list(APPEND cases "${flag}|${below}" "${flag}|${above}")
    endif()
  endif()
endforeach()
if(NOT "--seed" IN_LIST flags OR NOT "--out" IN_LIST flags)
  message(FATAL_ERROR "${lesson_name} --help lists no --seed or no --out:\n${help}")
endif()

# ---- the rows of the table that apply to this lesson ------------------------------------------
file(STRINGS ${TABLE} rows REGEX "^[^#]")
foreach(row ${rows})
  string(REGEX REPLACE "[ \t]+" ";" row "${row}")
  list(POP_FRONT row which)
  list(GET row 0 flag)
  if(which STREQUAL "*")
    if(NOT flag IN_LIST flags)
      continue()
    endif()
  elseif(NOT which STREQUAL lesson_name)
    continue()
  elseif(NOT flag IN_LIST flags)
    message(FATAL_ERROR "bad_flags.txt has a row for ${lesson_name} ${flag}, but its --help lists no ${flag}")
  endif()
  list(JOIN row "|" joined)
  list(APPEND cases "${joined}")
endforeach()

# ---- run every case ---------------------------------------------------------------------------
set(count 0)
foreach(case ${cases})
  string(REPLACE "|" ";" arguments "${case}")
  string(REPLACE "@FILE@" "${WORK}/a_file" arguments "${arguments}")
  list(GET arguments 0 flag)
  string(REPLACE "|" ";" extra "${EXTRA}")
  math(EXPR count "${count} + 1")
  if(case STREQUAL "--out|@EMPTY@")
    set(command ${LESSON} ${extra} --out= --quiet)  # execute_process drops an empty "" argument
  elseif(flag STREQUAL "--out")
    set(command ${LESSON} ${extra} ${arguments} --quiet)
  else()
    set(command ${LESSON} ${extra} ${arguments} --quiet --out ${WORK}/out_${count})
  endif()
  string(TIMESTAMP start "%s")
  execute_process(COMMAND ${command} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE result OUTPUT_VARIABLE output
                  ERROR_VARIABLE errors TIMEOUT 5)
  string(TIMESTAMP stop "%s")
  list(JOIN arguments " " shown)
  set(what "${lesson_name} ${shown}")
  if(NOT result MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "${what}: expected a clean non-zero exit, got '${result}'\n${output}\n${errors}")
  endif()
  string(FIND "${output}${errors}" "${flag}" named)
  if(named EQUAL -1)
    message(FATAL_ERROR "${what}: the message does not name ${flag}:\n${output}\n${errors}")
  endif()
  math(EXPR seconds "${stop} - ${start}")
  if(seconds GREATER 5)
    message(FATAL_ERROR "${what}: took ${seconds} s")
  endif()
  # Nothing written anywhere: not the --out folder given, not the default one (relative to WORK).
  file(GLOB_RECURSE left LIST_DIRECTORIES true ${WORK}/*)
  list(REMOVE_ITEM left ${WORK}/a_file)
  if(left)
    message(FATAL_ERROR "${what}: left files behind: ${left}")
  endif()
  string(REGEX REPLACE "\n.*" "" first_line "${errors}")
  message(STATUS "${what}: ${first_line}")
endforeach()
file(REMOVE_RECURSE ${WORK})
message(STATUS "${lesson_name}: ${count} bad flags refused")
