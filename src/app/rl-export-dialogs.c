/* rl-export-dialogs.c — CSV with a metadata header, and the compressed model to
 * safetensors (rl_model_save) or NumPy (rl_npz_save_model). */

#include "config.h"

#include <glib/gi18n.h>

#include "rl-core.h"
#include "rl-export.h"
#include "rl-export-dialogs.h"
#include "rl-npz.h"
#include "rl-window-private.h"

char *
rl_export_sweep_csv (RlSession *session)
{
  GArray *rows;
  const RlModel *dense;
  g_autofree char *hash = NULL;
  g_autofree char *date = NULL;
  g_autofree char *threads = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  const char *path;
  const char *keys[7];
  const char *values[7];
  guint n = 0;

  g_return_val_if_fail (RL_IS_SESSION (session), NULL);

  rows = rl_session_get_sweep (session);
  if (rows == NULL)
    return NULL;

  dense = rl_session_get_dense (session);
  hash = dense != NULL ? rl_model_weights_hash (dense) : g_strdup ("unknown");
  date = g_date_time_format_iso8601 (now);
  threads = g_strdup_printf ("%u", rl_core_get_blas_threads ());
  path = rl_session_get_model_path (session);

  keys[n] = "generator";    values[n++] = "RankLab " PACKAGE_VERSION;
  keys[n] = "model_sha256"; values[n++] = hash;
  keys[n] = "model";        values[n++] = path != NULL ? path : "unsaved";
  keys[n] = "plan";         values[n++] = rl_plan_mode_to_string (rl_session_get_plan_mode (session));
  keys[n] = "date";         values[n++] = date;
  keys[n] = "blas_threads"; values[n++] = threads;
  keys[n] = NULL;           values[n] = NULL;

  return rl_sweep_to_csv_with_meta (rows, keys, values);
}

/* -------------------------------------------------------------- model */

static void
show_error (GtkWindow  *parent,
            const char *message)
{
  if (RL_IS_WINDOW (parent))
    _rl_window_show_error (RL_WINDOW (parent), message);
  else
    g_warning ("%s", message);
}

static void
model_chooser_response_cb (GtkNativeDialog *chooser,
                           int              response,
                           GtkWindow       *parent)
{
  RlSession *session = g_object_get_data (G_OBJECT (chooser), "rl-session");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *chosen = file != NULL ? g_file_get_path (file) : NULL;
      GtkFileFilter *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (chooser));
      const RlModel *model = rl_session_get_compressed (session);
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      gboolean npz;

      if (chosen == NULL)
        show_error (parent, _("Only local files can be used"));
      else if (model == NULL)
        show_error (parent, _("There is no compressed model yet: wait for the evaluation to finish"));
      else
        {
          /* The extension typed wins; else the filter's. */
          npz = g_str_has_suffix (chosen, ".npz")
                || (!g_str_has_suffix (chosen, ".safetensors") && filter != NULL
                    && g_object_get_data (G_OBJECT (filter), "rl-npz") != NULL);
          if (g_str_has_suffix (chosen, ".npz") || g_str_has_suffix (chosen, ".safetensors"))
            path = g_strdup (chosen);
          else
            path = g_strconcat (chosen, npz ? ".npz" : ".safetensors", NULL);

          if (!(npz ? rl_npz_save_model (model, path, &error) : rl_model_save (model, path, &error)))
            {
              g_autofree char *message =
                g_strdup_printf (_("Could not export the model to “%s”: %s"), path, error->message);
              show_error (parent, message);
            }
        }
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

void
rl_export_model (GtkWindow *parent,
                 RlSession *session)
{
  GtkFileChooserNative *chooser;
  GtkFileFilter *filter;
  g_autofree char *name = NULL;

  g_return_if_fail (GTK_IS_WINDOW (parent));
  g_return_if_fail (RL_IS_SESSION (session));

  if (rl_session_get_compressed (session) == NULL)
    {
      show_error (parent, _("There is no compressed model yet: wait for the evaluation to finish"));
      return;
    }

  chooser = gtk_file_chooser_native_new (_("Export Compressed Model"), parent,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("RankLab models (*.safetensors)"));
  gtk_file_filter_add_suffix (filter, "safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_object_unref (filter);

  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("NumPy arrays (*.npz)"));
  gtk_file_filter_add_suffix (filter, "npz");
  g_object_set_data (G_OBJECT (filter), "rl-npz", GINT_TO_POINTER (1));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_object_unref (filter);

  name = g_strdup_printf ("ranklab-rank%u.safetensors", rl_session_get_rank (session));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);

  g_object_set_data_full (G_OBJECT (chooser), "rl-session", g_object_ref (session), g_object_unref);
  g_signal_connect_object (chooser, "response", G_CALLBACK (model_chooser_response_cb), parent, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
