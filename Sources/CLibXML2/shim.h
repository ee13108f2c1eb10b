#ifndef SPINDLE_CLIBXML2_SHIM_H
#define SPINDLE_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
/* Debian builds libxml2 with ICU, so its headers pull in the system's <unicode/utypes.h>, whose
   UErrorCode clashes with the copy inside Swift's Foundation (_FoundationICU) in any module that
   sees both. Spindle never touches the ICU-dependent struct fields (xmlCharEncodingHandler), so it
   reads the headers without them. */
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/parser.h>

/// `xmlFree` is a mutable global function pointer, which Swift 6 rejects as not concurrency-safe;
/// this wrapper lets Swift free libxml2 strings through a plain function.
static inline void spindle_xmlFree(void *p) { xmlFree(p); }
#endif
