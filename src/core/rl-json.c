/* rl-json.c — see rl-json.h. */
#include "rl-json.h"

gboolean
rl_json_is_one_object (const char *text,
                      gsize       len)
{
  gsize depth = 0, i;
  gboolean in_string = FALSE;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);

  for (i = 0; i < len && g_ascii_isspace (text[i]); i++)
    ;
  if (i == len || text[i] != '{')
    return FALSE;
  for (; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']')
        {
          if (depth == 0)
            return FALSE;
          if (--depth == 0)
            break;
        }
    }
  if (i >= len)
    return TRUE;
  for (i++; i < len; i++)
    if (!g_ascii_isspace (text[i]))
      return FALSE;
  return TRUE;
}
