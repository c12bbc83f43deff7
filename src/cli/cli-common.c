/* cli-common.c — shared helpers of the ranklab-cli subcommands. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include "cli-common.h"

char *
cli_printable (const char *text,
               glong       max_chars)
{
  GString *out = g_string_new (NULL);
  glong n = 0;

  g_autofree char *valid = g_utf8_make_valid (text ? text : "", -1);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (max_chars > 0 && n == max_chars)
        {
          g_string_append_printf (out, "… (%" G_GSIZE_FORMAT " bytes in all)", strlen (valid));
          break;
        }
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        g_string_append_printf (out, "\\x%02x", (guint) c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

int
cli_fail (const char *fmt,
          ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  {
    g_autofree char *shown = cli_printable (msg, 0);

    fprintf (stderr, "ranklab-cli: %s\n", shown);
  }
  return 1;
}

int
cli_fail_error (const char   *context,
                const GError *error)
{
  if (context != NULL)
    return cli_fail ("%s: %s", context, error->message);
  return cli_fail ("%s", error->message);
}

gboolean
cli_parse (GOptionContext  *context,
           int             *argc,
           char          ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      fprintf (stderr, "ranklab-cli: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

RlDataset *
cli_load_split (const char  *data_dir,
                RlSplit      split,
                GError     **error)
{
  g_autofree char *dir = rl_dataset_find_dir (data_dir);

  if (dir == NULL)
    {
      if (data_dir != NULL && g_file_test (data_dir, G_FILE_TEST_EXISTS) &&
          !g_file_test (data_dir, G_FILE_TEST_IS_DIR))
        g_set_error (error, RL_ERROR, RL_ERROR_IO,
                     "--data: '%s' is a file, not a folder holding the MNIST files", data_dir);
      else if (data_dir != NULL)
        g_set_error (error, RL_ERROR, RL_ERROR_IO,
                     "no MNIST test files in '%s' (expected t10k-images-idx3-ubyte[.gz]); "
                     "run data/fetch-mnist.sh --dest '%s'", data_dir, data_dir);
      else if (g_getenv ("RANKLAB_MNIST_DIR") != NULL && *g_getenv ("RANKLAB_MNIST_DIR") != '\0')
        g_set_error (error, RL_ERROR, RL_ERROR_IO,
                     "RANKLAB_MNIST_DIR is '%s', which holds no MNIST test files "
                     "(expected t10k-images-idx3-ubyte[.gz])", g_getenv ("RANKLAB_MNIST_DIR"));
      else
        g_set_error_literal (error, RL_ERROR, RL_ERROR_IO,
                             "MNIST not found: pass --data DIR, set RANKLAB_MNIST_DIR, "
                             "or run data/fetch-mnist.sh (it fills ~/.local/share/ranklab/mnist)");
      return NULL;
    }
  return rl_dataset_load_dir (dir, split, error);
}

static int
compare_guint (gconstpointer a,
               gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return (x > y) - (x < y);
}

gboolean
cli_parse_ranks (const char  *text,
                 GArray     **ranks,
                 GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 value;
      g_autoptr(GError) local = NULL;
      const char *part = g_strstrip (parts[i]);

      if (!g_ascii_string_to_unsigned (part, 10, 1, RL_MODEL_MAX_WIDTH, &value, &local))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "--ranks: '%s' is not a rank (a whole number from 1 to %u)", part, RL_MODEL_MAX_WIDTH);
          return FALSE;
        }
      g_array_append_val (out, (guint) { value });
    }

  if (out->len == 0)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_INVALID, "--ranks: no ranks given");
      return FALSE;
    }

  g_array_sort (out, compare_guint);
  for (guint i = out->len - 1; i > 0; i--)
    if (g_array_index (out, guint, i) == g_array_index (out, guint, i - 1))
      g_array_remove_index (out, i);

  *ranks = g_steal_pointer (&out);
  return TRUE;
}

gboolean
cli_check_range (const char  *opt,
                 gint64       value,
                 gint64       min,
                 gint64       max,
                 GError     **error)
{
  if (value < min || value > max)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "%s must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
                   opt, min, max, value);
      return FALSE;
    }
  return TRUE;
}

static void
svd_progress (double      fraction,
              const char *stage,
              gpointer    user_data)
{
  fprintf (stderr, "\rSVD: %3.0f %%", 100.0 * fraction);
  fflush (stderr);
}

RlSvd *
cli_get_svd (const RlModel  *model,
             gboolean        quiet,
             GError        **error)
{
  gboolean from_cache = FALSE;
  double t0 = rl_now ();
  RlSvd *svd;

  if (rl_model_is_factored (model))
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_INVALID,
                           "this model is already factored; truncation needs a dense model");
      return NULL;
    }

  svd = rl_svd_get_cached (model, &from_cache, NULL,
                           quiet || !isatty (STDERR_FILENO) ? NULL : svd_progress, NULL, error);
  if (svd != NULL && !quiet)
    fprintf (stderr, "\rSVD of %u layers: %.2f s%s\n", svd->n_layers, rl_now () - t0,
             from_cache ? " (from cache)" : "");
  return svd;
}

gboolean
cli_check_writable (const char  *opt,
                    const char  *path,
                    GError     **error)
{
  g_autofree char *dir = NULL;

  if (path == NULL)
    return TRUE;
  if (*path == '\0')
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "%s: the file name is empty", opt);
      return FALSE;
    }
  dir = g_path_get_dirname (path);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "%s: '%s' is a folder, not a file name", opt, path);
      return FALSE;
    }
  {
    g_autoptr(GError) local = NULL;
    g_autofree char *target = rl_file_save_target (path, &local);

    if (target == NULL)
      {
        g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "%s: %s", opt, local->message);
        return FALSE;
      }
  }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO, "%s: cannot write '%s': the folder '%s' does not exist",
                   opt, path, dir);
      return FALSE;
    }
  /* Try it, as the save will (a temporary file beside the target): access()
   * says yes to root everywhere, even in /proc. */
  {
    g_autofree char *probe = g_build_filename (dir, ".ranklab-probe-XXXXXX", NULL);
    int fd = g_mkstemp (probe);

    if (fd < 0)
      {
        int saved_errno = errno;

        g_set_error (error, RL_ERROR, RL_ERROR_IO, "%s: cannot write '%s': cannot create a file in '%s' (%s)",
                     opt, path, dir, g_strerror (saved_errno));
        return FALSE;
      }
    close (fd);
    g_unlink (probe);
  }
  return TRUE;
}

char *
cli_group_thousands (guint64 value)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}
