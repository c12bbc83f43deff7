/* rl-export.h — exports for people reading the results elsewhere: the rank
 * sweep as CSV with its provenance in comment lines. (Model exports live in
 * rl-modelfile.h, safetensors, and rl-npz.h, NumPy.) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "# key=value" lines, one per pair (keys and values NULL-terminated, same
 * length; line breaks in a value become spaces, '=' is refused in a key),
 * then exactly rl_sweep_to_csv (rows). pandas reads it with
 * read_csv (path, comment='#'). The CLI's --csv keeps the plain table. */
char *rl_sweep_to_csv_with_meta (GArray             *rows,
                                 const char * const *keys,
                                 const char * const *values);

G_END_DECLS
