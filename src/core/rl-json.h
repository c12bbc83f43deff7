/* rl-json.h — checks on JSON text that json-glib 1.6 (Debian 12) does not
 * make itself, shared by every reader of hostile JSON (safetensors headers,
 * experiment files). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when text[0..len) is white space, one JSON object, then only white
 * space. json-glib 1.6 accepts (and leaks) a second top-level value, as in
 * "{}[]" or "3{}". An object that is never closed also returns TRUE: the
 * parser reports that one precisely. */
gboolean rl_json_is_one_object (const char *text,
                                gsize       len);

G_END_DECLS
