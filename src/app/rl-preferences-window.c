/* rl-preferences-window.c — edits the user-facing settings; every control
 * is bound to its key, so a change is kept at once. */

#include "config.h"

#include <glib/gi18n.h>

#include "rl-core.h"
#include "rl-preferences-window.h"

struct _RlPreferencesWindow
{
  GtkWindow             parent_instance;

  GSettings            *settings;
  GtkFileChooserNative *chooser;

  GtkLabel             *missing_label;
  GtkWidget            *grid;
  GtkDropDown          *theme_dropdown;
  GtkDropDown          *plan_dropdown;
  GtkLabel             *folder_label;
  GtkWidget            *reset_button;
};

G_DEFINE_FINAL_TYPE (RlPreferencesWindow, rl_preferences_window, GTK_TYPE_WINDOW)

static const char *theme_nicks[] = { "system", "light", "dark" };

/* ------------------------------------------------------------ mappings */

static gboolean
theme_get_mapping (GValue   *value,
                   GVariant *variant,
                   gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (theme_nicks); i++)
    if (g_strcmp0 (nick, theme_nicks[i]) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
theme_set_mapping (const GValue       *value,
                   const GVariantType *type,
                   gpointer            user_data)
{
  guint i = g_value_get_uint (value);

  return g_variant_new_string (theme_nicks[i < G_N_ELEMENTS (theme_nicks) ? i : 0]);
}

static gboolean
plan_get_mapping (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  RlPlanMode mode;

  if (!rl_plan_mode_from_string (g_variant_get_string (variant, NULL), &mode))
    mode = RL_PLAN_PAPER;
  g_value_set_uint (value, mode == RL_PLAN_AUTO ? 1 : 0);
  return TRUE;
}

static GVariant *
plan_set_mapping (const GValue       *value,
                  const GVariantType *type,
                  gpointer            user_data)
{
  return g_variant_new_string (rl_plan_mode_to_string (g_value_get_uint (value) == 1
                                                       ? RL_PLAN_AUTO : RL_PLAN_PAPER));
}

/* ------------------------------------------------------------- folder */

static void
update_folder (RlPreferencesWindow *self)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "data-folder");

  if (folder[0] == '\0')
    {
      gtk_label_set_text (self->folder_label, _("Found automatically"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->folder_label), NULL);
    }
  else
    {
      gtk_label_set_text (self->folder_label, folder);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->folder_label), folder);
    }
  gtk_widget_set_sensitive (self->reset_button, folder[0] != '\0');
}

static void
chooser_response_cb (RlPreferencesWindow  *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "data-folder", path);
    }
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_clear_object (&self->chooser);
}

static void
choose_clicked_cb (RlPreferencesWindow *self,
                   GtkButton           *button)
{
  g_autofree char *folder = NULL;

  if (self->settings == NULL || self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (_("Choose the MNIST Folder"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  folder = g_settings_get_string (self->settings, "data-folder");
  if (folder[0] != '\0' && g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) current = g_file_new_for_path (folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), current, NULL);
    }
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
reset_clicked_cb (RlPreferencesWindow *self,
                  GtkButton           *button)
{
  if (self->settings != NULL)
    g_settings_reset (self->settings, "data-folder");
}

/* -------------------------------------------------------------- class */

static void
rl_preferences_window_dispose (GObject *object)
{
  RlPreferencesWindow *self = RL_PREFERENCES_WINDOW (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), RL_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (rl_preferences_window_parent_class)->dispose (object);
}

static void
rl_preferences_window_class_init (RlPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rl_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/id/ranklab/RankLab/ui/rl-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RlPreferencesWindow, missing_label);
  gtk_widget_class_bind_template_child (widget_class, RlPreferencesWindow, grid);
  gtk_widget_class_bind_template_child (widget_class, RlPreferencesWindow, theme_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RlPreferencesWindow, plan_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RlPreferencesWindow, folder_label);
  gtk_widget_class_bind_template_child (widget_class, RlPreferencesWindow, reset_button);
  gtk_widget_class_bind_template_callback (widget_class, choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reset_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
rl_preferences_window_init (RlPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
rl_preferences_window_new (GtkWindow *parent,
                           GSettings *settings)
{
  RlPreferencesWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (RL_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  if (settings == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->missing_label), TRUE);
      gtk_widget_set_sensitive (self->grid, FALSE);
      gtk_label_set_text (self->folder_label, _("Found automatically"));
      return GTK_WIDGET (self);
    }

  self->settings = g_object_ref (settings);
  g_settings_bind_with_mapping (settings, "theme", self->theme_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, theme_get_mapping, theme_set_mapping,
                                NULL, NULL);
  g_settings_bind_with_mapping (settings, "plan", self->plan_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, plan_get_mapping, plan_set_mapping,
                                NULL, NULL);
  g_signal_connect_object (settings, "changed::data-folder", G_CALLBACK (update_folder), self,
                           G_CONNECT_SWAPPED);
  update_folder (self);
  return GTK_WIDGET (self);
}
