/* rl-json.c — see rl-json.h. */
#include "rl-json.h"

#include <string.h>

#include "rl-error.h"

/* The only characters JSON has outside strings: structure, white space,
 * numbers and the letters of true, false and null. json-glib 1.6 takes some
 * others (comments, stray backslashes) and leaks on the way out of several
 * such errors, so they never reach it. */
#define JSON_OUTSIDE_STRINGS " \t\n\r{}[],:0123456789+-.eEtrufalsn"

/* Walks text[i..len) over JSON's structure, strings skipped, keeping the
 * nesting depth of arrays and objects (the deepest in *deepest; without
 * stop_at_close, counted up to RL_JSON_MAX_DEPTH + 1 at most). With
 * stop_at_close, returns the index of the bracket that closes the first
 * top-level value, len if it never closes, and G_MAXSIZE for a closing
 * bracket with nothing open or of the wrong kind (']' for '{': json-glib
 * 1.6 accepted such text and leaked) or a character JSON never has outside
 * strings. Without it, returns len. */
static gsize
scan (const char *text,
      gsize       len,
      gsize       i,
      gboolean    stop_at_close,
      guint      *deepest)
{
  guint64 kinds = 0;   /* bit d set: level d + 1 is an array (first 64 levels) */
  guint depth = 0, max = 0;
  gboolean in_string = FALSE;

  for (; i < len && (stop_at_close || max <= RL_JSON_MAX_DEPTH); i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (stop_at_close && (c == '\0' || strchr (JSON_OUTSIDE_STRINGS, c) == NULL))
        return G_MAXSIZE;
      else if (c == '{' || c == '[')
        {
          if (depth < 64)
            kinds = (kinds & ~(G_GUINT64_CONSTANT (1) << depth))
                    | ((guint64) (c == '[') << depth);
          depth++;
          max = MAX (max, depth);
        }
      else if (c == '}' || c == ']')
        {
          if (depth == 0 ||
              (depth <= 64 && ((kinds >> (depth - 1)) & 1) != (guint64) (c == ']')))
            {
              if (stop_at_close)
                return G_MAXSIZE;
              if (depth == 0)
                continue;
            }
          if (--depth == 0 && stop_at_close)
            break;
        }
    }
  if (deepest != NULL)
    *deepest = max;
  return MIN (i, len);
}

gboolean
rl_json_is_one_object (const char *text,
                       gsize       len)
{
  gsize i;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);

  for (i = 0; i < len && g_ascii_isspace (text[i]); i++)
    ;
  if (i == len || text[i] != '{')
    return FALSE;
  i = scan (text, len, i, TRUE, NULL);
  if (i >= len)
    return FALSE;   /* never closed, or not JSON (G_MAXSIZE) */
  for (i++; i < len; i++)
    if (!g_ascii_isspace (text[i]))
      return FALSE;
  return TRUE;
}

/* The value of the four hex digits at text[i..i+4), or -1. */
static gint
hex4 (const char *text,
      gsize       len,
      gsize       i)
{
  gint v = 0;

  if (i + 4 > len)
    return -1;
  for (gsize k = i; k < i + 4; k++)
    {
      gint d = g_ascii_xdigit_value (text[k]);

      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

gboolean
rl_json_strings_valid (const char *text,
                       gsize       len,
                       gsize      *bad_offset)
{
  gboolean in_string = FALSE;
  gsize i;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);

  for (i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];

      if (!in_string)
        {
          in_string = c == '"';
          continue;
        }
      if (c == '"')
        in_string = FALSE;
      else if (c < 0x20)
        goto bad;
      else if (c == '\\')
        {
          gint u;

          if (i + 1 >= len)
            goto bad;
          if (strchr ("\"\\/bfnrt", text[i + 1]) != NULL && text[i + 1] != '\0')
            {
              i++;
              continue;
            }
          if (text[i + 1] != 'u' || (u = hex4 (text, len, i + 2)) <= 0)
            goto bad;
          if (u >= 0xDC00 && u <= 0xDFFF)
            goto bad;
          if (u >= 0xD800 && u <= 0xDBFF)
            {
              gint lo = i + 12 <= len && text[i + 6] == '\\' && text[i + 7] == 'u'
                        ? hex4 (text, len, i + 8) : -1;

              if (lo < 0xDC00 || lo > 0xDFFF)
                goto bad;
              i += 6;
            }
          i += 5;
        }
    }
  return TRUE;

bad:
  if (bad_offset != NULL)
    *bad_offset = i;
  return FALSE;
}

guint
rl_json_depth (const char *text,
               gsize       len)
{
  guint deepest = 0;

  g_return_val_if_fail (text != NULL || len == 0, 0);

  scan (text, len, 0, FALSE, &deepest);
  return deepest;
}

typedef struct
{
  GHashTable *counts;      /* JsonObject* → members parsed so far */
  char       *dup_name;
} DupCheck;

/* Counts members as they are parsed and compares with the object's size,
 * which a repeated key does not grow. */
static void
on_object_member (JsonParser *parser,
                  JsonObject *object,
                  const char *name,
                  gpointer    user_data)
{
  DupCheck *dc = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (dc->counts, object)) + 1;

  g_hash_table_insert (dc->counts, object, GUINT_TO_POINTER (n));
  if (dc->dup_name == NULL && json_object_get_size (object) != n)
    dc->dup_name = g_strdup (name);
}

gboolean
rl_json_parse_strict (JsonParser  *parser,
                      const char  *text,
                      gsize        len,
                      gsize        offset_base,
                      GError     **error)
{
  DupCheck dc = { NULL, NULL };
  g_autoptr(GError) local = NULL;
  gsize bad = 0;
  gulong id;
  gboolean ok;

  g_return_val_if_fail (JSON_IS_PARSER (parser), FALSE);
  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_utf8_validate (text, (gssize) len, NULL))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "not valid UTF-8 text");
      return FALSE;
    }
  if (rl_json_depth (text, len) > RL_JSON_MAX_DEPTH)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "arrays or objects nested more than %u deep", RL_JSON_MAX_DEPTH);
      return FALSE;
    }
  if (!rl_json_strings_valid (text, len, &bad))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "invalid character or escape in a JSON string at byte %" G_GSIZE_FORMAT,
                   offset_base + bad);
      return FALSE;
    }
  if (!rl_json_is_one_object (text, len))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "not one JSON object (its brackets must match, be closed, and hold only JSON; "
                   "only spaces may stand before or after it)");
      return FALSE;
    }

  dc.counts = g_hash_table_new (NULL, NULL);
  id = g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &dc);
  ok = json_parser_load_from_data (parser, text, (gssize) len, &local);
  g_signal_handler_disconnect (parser, id);
  g_hash_table_unref (dc.counts);
  if (!ok)
    g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "not valid JSON: %s", local->message);
  else if (dc.dup_name != NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "the key '%s' appears twice in one object", dc.dup_name);
      ok = FALSE;
    }
  g_free (dc.dup_name);
  return ok;
}
