/* rl-window-actions.c — the window's actions (win.*): train, open, save,
 * export, and the file choosers behind them. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "rl-window-private.h"
#include "rl-export-dialogs.h"
#include "rl-explorer-window.h"

typedef void (*FileChosenFunc) (RlWindow   *self,
                                const char *path,
                                GtkFileFilter *filter);

/* ------------------------------------------------------- file choosers */

static void
file_dialog_response_cb (GtkNativeDialog *dialog,
                         int              response,
                         RlWindow        *self)
{
  FileChosenFunc func = g_object_get_data (G_OBJECT (dialog), "rl-func");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path == NULL)
        _rl_window_show_error (self, _("Only local files can be used"));
      else
        func (self, path, gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog)));
    }

  if (self->file_dialog == dialog)
    g_clear_object (&self->file_dialog);
}

static GtkFileFilter *
make_filter (const char *name,
             const char *suffix,
             const char *extension)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_suffix (filter, suffix);
  g_object_set_data_full (G_OBJECT (filter), "rl-extension", g_strdup (extension), g_free);
  return filter;
}

static void
run_file_dialog (RlWindow             *self,
                 const char           *title,
                 GtkFileChooserAction  action,
                 const char           *accept,
                 const char           *current_name,
                 GtkFileFilter       **filters,
                 guint                 n_filters,
                 FileChosenFunc        func)
{
  GtkFileChooserNative *native;

  if (self->file_dialog != NULL)
    {
      gtk_native_dialog_destroy (self->file_dialog);
      g_clear_object (&self->file_dialog);
    }

  native = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  for (guint i = 0; i < n_filters; i++)
    {
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filters[i]);
      g_object_unref (filters[i]);
    }
  if (current_name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), current_name);

  g_object_set_data (G_OBJECT (native), "rl-func", func);
  g_signal_connect_object (native, "response", G_CALLBACK (file_dialog_response_cb), self, 0);
  self->file_dialog = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->file_dialog);
}

/* path with the filter's extension appended when it has none of exts. */
static char *
with_extension (const char     *path,
                GtkFileFilter  *filter,
                const char    **exts)
{
  const char *fallback;

  for (guint i = 0; exts[i] != NULL; i++)
    if (g_str_has_suffix (path, exts[i]))
      return g_strdup (path);
  fallback = filter != NULL ? g_object_get_data (G_OBJECT (filter), "rl-extension") : NULL;
  return g_strconcat (path, fallback != NULL ? fallback : exts[0], NULL);
}

/* ---------------------------------------------------------------- open */

static void
open_chosen (RlWindow      *self,
             const char    *path,
             GtkFileFilter *filter)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  rl_window_open_model (self, file);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  RlWindow *self = RL_WINDOW (widget);
  GtkFileFilter *filters[2];

  filters[0] = make_filter (_("RankLab models (*.safetensors)"), "safetensors", ".safetensors");
  filters[1] = gtk_file_filter_new ();
  gtk_file_filter_set_name (filters[1], _("All files"));
  gtk_file_filter_add_pattern (filters[1], "*");
  run_file_dialog (self, _("Open Model"), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                   NULL, filters, 2, open_chosen);
}

static void
save_chosen (RlWindow      *self,
             const char    *path,
             GtkFileFilter *filter)
{
  static const char *exts[] = { ".safetensors", NULL };
  g_autofree char *full = with_extension (path, filter, exts);

  rl_session_save_model (self->session, full);
}

static void
save_as_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  RlWindow *self = RL_WINDOW (widget);
  GtkFileFilter *filters[1];

  filters[0] = make_filter (_("RankLab models (*.safetensors)"), "safetensors", ".safetensors");
  run_file_dialog (self, _("Save Model As"), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                   "model.safetensors", filters, 1, save_chosen);
}

/* -------------------------------------------------------------- export */

static RlChartView *
visible_chart (RlWindow *self)
{
  GtkWidget *child = gtk_stack_get_visible_child (self->chart_stack);

  return RL_IS_CHART_VIEW (child) ? RL_CHART_VIEW (child) : self->accuracy_chart;
}

static void
export_chart_chosen (RlWindow      *self,
                     const char    *path,
                     GtkFileFilter *filter)
{
  static const char *exts[] = { ".png", ".svg", ".pdf", ".csv", NULL };
  g_autofree char *full = with_extension (path, filter, exts);
  g_autoptr(GError) error = NULL;

  if (!rl_chart_view_export (visible_chart (self), full, &error))
    {
      g_autofree char *message =
        g_strdup_printf (_("Could not export the chart to “%s”: %s"), full, error->message);
      _rl_window_show_error (self, message);
    }
}

static void
export_chart_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  RlWindow *self = RL_WINDOW (widget);
  GtkFileFilter *filters[3];
  const char *page = gtk_stack_get_visible_child_name (self->chart_stack);
  g_autofree char *name = g_strdup_printf ("ranklab-%s.png", page != NULL ? page : "chart");

  filters[0] = make_filter (_("PNG image (*.png)"), "png", ".png");
  filters[1] = make_filter (_("SVG image (*.svg)"), "svg", ".svg");
  filters[2] = make_filter (_("PDF document (*.pdf)"), "pdf", ".pdf");
  run_file_dialog (self, _("Export Chart"), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                   name, filters, 3, export_chart_chosen);
}

static void
export_csv_chosen (RlWindow      *self,
                   const char    *path,
                   GtkFileFilter *filter)
{
  static const char *exts[] = { ".csv", NULL };
  g_autofree char *full = with_extension (path, filter, exts);
  g_autofree char *csv = NULL;
  g_autoptr(GError) error = NULL;
  GArray *rows = rl_session_get_sweep (self->session);

  if (rows == NULL)
    return;
  /* With "# key=value" provenance lines (model hash, plan, date, BLAS
   * threads) before the header; the CLI's --csv keeps the plain table. */
  csv = rl_export_sweep_csv (self->session);
  if (!rl_file_replace_atomic (full, csv, strlen (csv), &error))
    {
      g_autofree char *message =
        g_strdup_printf (_("Could not export the sweep to “%s”: %s"), full, error->message);
      _rl_window_show_error (self, message);
    }
}

static void
export_csv_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  RlWindow *self = RL_WINDOW (widget);
  GtkFileFilter *filters[1];

  filters[0] = make_filter (_("CSV table (*.csv)"), "csv", ".csv");
  run_file_dialog (self, _("Export Sweep"), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                   "ranklab-sweep.csv", filters, 1, export_csv_chosen);
}

/* ---------------------------------------------- plans and fine-tuning */

static void
finetune_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  RlWindow *self = RL_WINDOW (widget);

  rl_session_finetune (self->session, (guint) gtk_adjustment_get_value (self->epochs_adjustment));
}

static void
cancel_finetune_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  rl_session_cancel_finetune (RL_WINDOW (widget)->session);
}

static void
save_finetuned_chosen (RlWindow      *self,
                       const char    *path,
                       GtkFileFilter *filter)
{
  static const char *exts[] = { ".safetensors", NULL };
  g_autofree char *full = with_extension (path, filter, exts);

  rl_session_save_finetuned (self->session, full);
}

static void
save_finetuned_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  RlWindow *self = RL_WINDOW (widget);
  GtkFileFilter *filters[1];

  filters[0] = make_filter (_("RankLab models (*.safetensors)"), "safetensors", ".safetensors");
  run_file_dialog (self, _("Save Fine-Tuned Model"), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                   "model-finetuned.safetensors", filters, 1, save_finetuned_chosen);
}

static void
find_budget_plan_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  rl_session_find_budget_plan (RL_WINDOW (widget)->session);
}

static void
cancel_budget_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  rl_session_cancel_budget (RL_WINDOW (widget)->session);
}

/* --------------------------------------------------------- experiments */

static GtkFileFilter *
json_filter (void)
{
  GtkFileFilter *filter = make_filter (_("RankLab experiments (*.json)"), "json", ".json");

  gtk_file_filter_add_mime_type (filter, "application/json");
  return filter;
}

static void
open_experiment_chosen (RlWindow      *self,
                        const char    *path,
                        GtkFileFilter *filter)
{
  _rl_window_open_experiment (self, path);
}

static void
open_experiment_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  GtkFileFilter *filters[1] = { json_filter () };

  run_file_dialog (RL_WINDOW (widget), _("Open Experiment"), GTK_FILE_CHOOSER_ACTION_OPEN,
                   _("_Open"), NULL, filters, 1, open_experiment_chosen);
}

static void
save_experiment_chosen (RlWindow      *self,
                        const char    *path,
                        GtkFileFilter *filter)
{
  static const char *exts[] = { ".json", NULL };
  g_autofree char *full = with_extension (path, filter, exts);
  g_autoptr(GError) error = NULL;

  if (!rl_session_save_experiment (self->session, full, &error))
    {
      g_autofree char *message =
        g_strdup_printf (_("Could not save the experiment to “%s”: %s"), full, error->message);
      _rl_window_show_error (self, message);
    }
}

static void
save_experiment_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  GtkFileFilter *filters[1] = { json_filter () };

  run_file_dialog (RL_WINDOW (widget), _("Save Experiment"), GTK_FILE_CHOOSER_ACTION_SAVE,
                   _("_Save"), "experiment.json", filters, 1, save_experiment_chosen);
}

/* --------------------------------------------------------------- other */

static void
train_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  rl_session_train (RL_WINDOW (widget)->session);
}

static void
cancel_train_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  rl_session_cancel_train (RL_WINDOW (widget)->session);
}

static void
clear_canvas_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  RlWindow *self = RL_WINDOW (widget);

  rl_digit_canvas_clear (self->canvas);
  _rl_window_update_prediction (self);
}

static void
explorer_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  RlWindow *self = RL_WINDOW (widget);

  rl_explorer_window_present (GTK_WINDOW (self), self->session, self->canvas);
}

void
_rl_window_update_actions (RlWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean training = rl_session_get_training (self->session);
  gboolean loading = rl_session_get_loading (self->session);
  gboolean has_model = rl_session_get_has_model (self->session);
  gboolean has_sweep = rl_session_get_sweep (self->session) != NULL;

  gtk_widget_action_set_enabled (widget, "win.train",
                                 !training && !loading && rl_session_get_has_data (self->session));
  gtk_widget_action_set_enabled (widget, "win.cancel-train", training);
  gtk_widget_action_set_enabled (widget, "win.open", !training);
  gtk_widget_action_set_enabled (widget, "win.save-as", has_model && !training);
  gtk_widget_action_set_enabled (widget, "win.export-chart", has_sweep);
  gtk_widget_action_set_enabled (widget, "win.export-csv", has_sweep);
  {
    gboolean finetuning = rl_session_get_finetuning (self->session);
    gboolean budget_running = rl_session_get_budget_running (self->session);
    const RlModel *finetuned = rl_session_get_finetuned (self->session, NULL, NULL, NULL, NULL);

    gtk_widget_action_set_enabled (widget, "win.finetune",
                                   !finetuning && !training &&
                                   rl_session_get_current_plan (self->session) != NULL &&
                                   rl_session_get_data_dir (self->session) != NULL);
    gtk_widget_action_set_enabled (widget, "win.cancel-finetune", finetuning);
    gtk_widget_action_set_enabled (widget, "win.save-finetuned", finetuned != NULL);
    gtk_widget_action_set_enabled (widget, "win.find-budget-plan",
                                   has_model && !budget_running &&
                                   rl_session_get_has_svd (self->session) &&
                                   rl_session_get_plan (self->session) == NULL);
    gtk_widget_action_set_enabled (widget, "win.cancel-budget", budget_running);
    gtk_widget_action_set_enabled (widget, "win.open-experiment", !training);
    gtk_widget_action_set_enabled (widget, "win.save-experiment", has_model && !training);
  }
}

void
_rl_window_class_actions_init (RlWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.train", NULL, train_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-train", NULL, cancel_train_action);
  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.save-as", NULL, save_as_action);
  gtk_widget_class_install_action (widget_class, "win.export-chart", NULL, export_chart_action);
  gtk_widget_class_install_action (widget_class, "win.export-csv", NULL, export_csv_action);
  gtk_widget_class_install_action (widget_class, "win.clear-canvas", NULL, clear_canvas_action);
  gtk_widget_class_install_action (widget_class, "win.finetune", NULL, finetune_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-finetune", NULL, cancel_finetune_action);
  gtk_widget_class_install_action (widget_class, "win.save-finetuned", NULL, save_finetuned_action);
  gtk_widget_class_install_action (widget_class, "win.find-budget-plan", NULL, find_budget_plan_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-budget", NULL, cancel_budget_action);
  gtk_widget_class_install_action (widget_class, "win.open-experiment", NULL, open_experiment_action);
  gtk_widget_class_install_action (widget_class, "win.save-experiment", NULL, save_experiment_action);
  gtk_widget_class_install_action (widget_class, "win.explorer", NULL, explorer_action);
}
