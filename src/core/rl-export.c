/* rl-export.c — the sweep table as CSV with a provenance header. */

#include "config.h"

#include <string.h>

#include "rl-eval.h"
#include "rl-export.h"

static void
append_clean (GString    *out,
              const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    g_string_append_c (out, (*p == '\n' || *p == '\r') ? ' ' : *p);
}

char *
rl_sweep_to_csv_with_meta (GArray             *rows,
                           const char * const *keys,
                           const char * const *values)
{
  g_autofree char *table = NULL;
  GString *out;

  g_return_val_if_fail (rows != NULL, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; keys != NULL && values != NULL && keys[i] != NULL && values[i] != NULL; i++)
    {
      g_return_val_if_fail (keys[i][0] != '\0' && strchr (keys[i], '=') == NULL,
                            g_string_free (out, TRUE));
      g_string_append (out, "# ");
      append_clean (out, keys[i]);
      g_string_append_c (out, '=');
      append_clean (out, values[i]);
      g_string_append_c (out, '\n');
    }
  table = rl_sweep_to_csv (rows);
  g_string_append (out, table);
  return g_string_free (out, FALSE);
}
