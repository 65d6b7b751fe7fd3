# Fails the build when kmsguard_cli_docs wrote a different set of man pages than
# plugin/CMakeLists.txt installs (KMSGUARD_MAN_PAGES): a new command must get its page installed.
file(GLOB _pages RELATIVE ${DIR} ${DIR}/*.1)  # before they are compressed
list(TRANSFORM _pages REPLACE "\\.1$" "")
list(SORT _pages)
set(_expected ${EXPECTED})
list(SORT _expected)
if(NOT _pages STREQUAL _expected)
  message(FATAL_ERROR "kmsguard_cli_docs wrote the pages '${_pages}' but plugin/CMakeLists.txt "
                      "installs '${_expected}': update KMSGUARD_MAN_PAGES")
endif()
