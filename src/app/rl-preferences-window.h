/* rl-preferences-window.h — the Preferences window (Ctrl+comma): style,
 * default plan and the MNIST folder, stored in GSettings. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RL_TYPE_PREFERENCES_WINDOW (rl_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (RlPreferencesWindow, rl_preferences_window, RL, PREFERENCES_WINDOW, GtkWindow)

/* settings may be NULL (schema missing): the window then says so and its
 * controls are insensitive. */
GtkWidget *rl_preferences_window_new (GtkWindow *parent,
                                      GSettings *settings);

G_END_DECLS
