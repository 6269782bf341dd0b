# cmake -DINPUT=<text file> -DOUTPUT=<.cc> -DHEADER=<its declaration> -DFUNCTION=<name> -P embed_text.cmake
# Writes a .cc defining `std::string_view lbchaos::alerting::<FUNCTION>()`: the file's text.
file(READ "${INPUT}" text)
set(delimiter "lbchaos_embed")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains )${delimiter}\": cannot embed it as a raw string")
endif()
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by harness/alerting/embed_text.cmake. Do not edit.\n"
  "#include \"${HEADER}\"\n\n"
  "#include <string_view>\n\n"
  "namespace lbchaos::alerting {\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  static constexpr std::string_view kText = R\"${delimiter}(${text})${delimiter}\";\n"
  "  return kText;\n"
  "}\n\n"
  "}  // namespace lbchaos::alerting\n")
