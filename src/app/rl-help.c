/* rl-help.c — the "What Is SVD Truncation?" window: translatable text for a
 * teacher to read aloud, built from a plain GtkBuilder file. */

#include "config.h"

#include "rl-help.h"

static void
forget_cb (GtkWindow *parent,
           GtkWidget *window)
{
  g_object_set_data (G_OBJECT (parent), "rl-svd-help", NULL);
}

void
rl_help_show_svd (GtkWindow *parent)
{
  g_autoptr(GtkBuilder) builder = NULL;
  GtkWindow *window;
  GtkEventController *shortcuts;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  window = parent != NULL ? g_object_get_data (G_OBJECT (parent), "rl-svd-help") : NULL;
  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  builder = gtk_builder_new_from_resource ("/id/ranklab/RankLab/ui/rl-svd-help.ui");
  window = GTK_WINDOW (gtk_builder_get_object (builder, "svd_help_window"));
  gtk_window_set_transient_for (window, parent);

  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                                                          gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (GTK_WIDGET (window), shortcuts);

  if (parent != NULL)
    {
      /* Forget the window when it closes. */
      g_object_set_data (G_OBJECT (parent), "rl-svd-help", window);
      g_signal_connect_object (window, "destroy", G_CALLBACK (forget_cb), parent,
                               G_CONNECT_SWAPPED);
    }
  gtk_window_present (window);
}
