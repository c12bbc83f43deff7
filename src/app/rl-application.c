/* rl-application.c — start-up, app actions (about, quit) and accelerators. */

#include "config.h"

#include <glib/gi18n.h>

#include "rl-application.h"
#include "rl-export-dialogs.h"
#include "rl-help.h"
#include "rl-preferences-window.h"
#include "rl-settings.h"
#include "rl-window.h"

struct _RlApplication
{
  GtkApplication parent_instance;

  GSettings     *settings;     /* NULL when the schema is missing */
};

G_DEFINE_FINAL_TYPE (RlApplication, rl_application, GTK_TYPE_APPLICATION)

static RlWindow *
get_window (RlApplication *self,
            gboolean      *created)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  *created = window == NULL;
  if (window == NULL)
    {
      window = GTK_WINDOW (rl_window_new (GTK_APPLICATION (self)));
      rl_settings_attach_window (self->settings, RL_WINDOW (window));
    }
  return RL_WINDOW (window);
}

static void
rl_application_activate (GApplication *app)
{
  gboolean created;
  RlWindow *window = get_window (RL_APPLICATION (app), &created);

  gtk_window_present (GTK_WINDOW (window));
  if (created)
    {
      /* The model opened last, else the kept one (rl_session_start). */
      g_autofree char *model = rl_settings_dup_start_model (RL_APPLICATION (app)->settings);
      rl_window_start (window, model);
    }
}

static void
rl_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  gboolean created;
  RlWindow *window = get_window (RL_APPLICATION (app), &created);

  gtk_window_present (GTK_WINDOW (window));
  /* One model at a time: the last file named wins. */
  if (n_files > 0)
    rl_window_open_model (window, files[n_files - 1]);
  else if (created)
    rl_window_start (window, NULL);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "The RankLab developers", NULL };
  static const char *study[] = {
    "SVD low-rank approximation of a 784-1028-512-256-10 MNIST perceptron, "
    "a study from an Indonesian university course",
    NULL
  };
  GtkWidget *dialog = gtk_about_dialog_new ();

  gtk_window_set_transient_for (GTK_WINDOW (dialog), gtk_application_get_active_window (app));
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_object_set (dialog,
                "program-name", _("RankLab"),
                "version", PACKAGE_VERSION,
                "logo-icon-name", APP_ID,
                "comments", _("See what SVD low-rank approximation does to a neural "
                              "network: accuracy, speed and size against rank, live."),
                "license-type", GTK_LICENSE_GPL_3_0,
                "authors", developers,
                NULL);
  /* Translators: your names, one a line */
  if (g_strcmp0 (_("translator-credits"), "translator-credits") != 0)
    gtk_about_dialog_set_translator_credits (GTK_ABOUT_DIALOG (dialog), _("translator-credits"));
  gtk_about_dialog_add_credit_section (GTK_ABOUT_DIALOG (dialog), _("Based on the study"), study);
  gtk_about_dialog_add_credit_section (GTK_ABOUT_DIALOG (dialog), _("Data"),
                                       (const char *[]) { "MNIST: Yann LeCun, Corinna Cortes, "
                                                          "Christopher J. C. Burges", NULL });
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows = gtk_application_get_windows (app);

  /* Destroying the windows cancels their jobs; the application then ends
   * when the last worker has returned its result. */
  while (windows != NULL)
    {
      GList *next = windows->next;
      gtk_window_destroy (GTK_WINDOW (windows->data));
      windows = next;
    }
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  RlApplication *self = RL_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  gtk_window_present (GTK_WINDOW (rl_preferences_window_new (parent, self->settings)));
}

static void
svd_help_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  rl_help_show_svd (gtk_application_get_active_window (GTK_APPLICATION (user_data)));
}

static void
export_model_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  if (RL_IS_WINDOW (window))
    rl_export_model (window, rl_window_get_session (RL_WINDOW (window)));
}

static const GActionEntry app_entries[] = {
  { .name = "about", .activate = about_action },
  { .name = "quit",  .activate = quit_action },
  { .name = "preferences",  .activate = preferences_action },
  { .name = "svd-help",     .activate = svd_help_action },
  { .name = "export-model", .activate = export_model_action },
};

static void
rl_application_startup (GApplication *app)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit",         { "<Control>q", NULL } },
    { "app.preferences",  { "<Control>comma", NULL } },
    { "app.svd-help",     { "F1", NULL } },
    { "win.open",         { "<Control>o", NULL } },
    { "win.save-as",      { "<Control><Shift>s", NULL } },
    { "win.train",        { "<Control>t", NULL } },
    { "win.explorer",     { "<Control>e", NULL } },
    { "win.export-chart", { "<Control><Alt>e", NULL } },
    { "win.export-csv",   { "<Control><Shift>e", NULL } },
    { "win.clear-canvas", { "<Control>l", NULL } },
    { "window.close",     { "<Control>w", NULL } },
  };
  g_autoptr(GtkCssProvider) provider = NULL;

  G_APPLICATION_CLASS (rl_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_entries,
                                   G_N_ELEMENTS (app_entries), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);
  gtk_window_set_default_icon_name (APP_ID);

  RL_APPLICATION (app)->settings = rl_settings_new ();
  rl_settings_apply_theme (RL_APPLICATION (app)->settings);

  /* GTK (unlike libadwaita) does not load style.css by itself. */
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/id/ranklab/RankLab/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
rl_application_dispose (GObject *object)
{
  g_clear_object (&RL_APPLICATION (object)->settings);

  G_OBJECT_CLASS (rl_application_parent_class)->dispose (object);
}

static void
rl_application_class_init (RlApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = rl_application_dispose;

  app_class->startup = rl_application_startup;
  app_class->activate = rl_application_activate;
  app_class->open = rl_application_open;
}

static void
rl_application_init (RlApplication *self)
{
}

RlApplication *
rl_application_new (void)
{
  return g_object_new (RL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/id/ranklab/RankLab",
                       NULL);
}
