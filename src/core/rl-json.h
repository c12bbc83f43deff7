/* rl-json.h — checks on JSON text that json-glib 1.6 (Debian 12) does not
 * make itself, shared by every reader of hostile JSON (safetensors headers,
 * experiment files). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* TRUE when text[0..len) is white space, one JSON object, then only white
 * space, with brackets that match and outside strings only what JSON has
 * there. json-glib 1.6 accepts (and leaks) a second top-level value, as in
 * "{}[]" or "3{}", takes some non-JSON text, and leaks on the way out of
 * several parse errors; an object never closed is refused here too. */
gboolean rl_json_is_one_object (const char *text,
                                gsize       len);

/* Arrays and objects nested deeper than this are refused before parsing:
 * json-glib parses recursively and overflows the stack (a crash) somewhere
 * between 50,000 and 100,000 levels, which a 200 KB file reaches. Our own
 * files nest 3 deep. */
#define RL_JSON_MAX_DEPTH 64u

/* The deepest nesting of arrays and objects in text[0..len) (strings
 * skipped), counting up to RL_JSON_MAX_DEPTH + 1 at most. */
guint    rl_json_depth         (const char *text,
                                gsize       len);

/* TRUE when every string in text[0..len) is strict JSON: no raw control
 * character, escapes only among \" \\ \/ \b \f \n \r \t and \uXXXX with
 * four hex digits, no \u0000, and UTF-16 surrogates only as a high one
 * directly followed by a low one. json-glib 1.6's scanner accepts "\uzzzz"
 * and "\x", and a lone surrogate makes it swallow the text after it (so
 * '{"a\ud800"b":1}' parses) and leak nodes. On FALSE, *bad_offset (when
 * not NULL) is the byte offset of the offending character or escape. */
gboolean rl_json_strings_valid (const char *text,
                                gsize       len,
                                gsize      *bad_offset);

/* Loads text[0..len) into parser as strict JSON, or says why not (an
 * RL_ERROR_FORMAT naming the problem; byte offsets count from offset_base,
 * where the text sits in its file): not UTF-8, nesting deeper than
 * RL_JSON_MAX_DEPTH, a bad string (rl_json_strings_valid), not one object
 * (rl_json_is_one_object), not valid JSON, or a key given twice in one
 * object (json-glib keeps the last of duplicate keys silently, which the
 * JSON spec and safetensors forbid). The checks before parsing keep
 * json-glib 1.6 from the inputs it crashes or leaks on. */
gboolean rl_json_parse_strict  (JsonParser  *parser,
                                const char  *text,
                                gsize        len,
                                gsize        offset_base,
                                GError     **error);

G_END_DECLS
