/* rl-window.h — the main window: rank slider, figures, digit canvas, charts. */
#pragma once

#include <gtk/gtk.h>

#include "rl-session.h"

G_BEGIN_DECLS

#define RL_TYPE_WINDOW (rl_window_get_type ())

G_DECLARE_FINAL_TYPE (RlWindow, rl_window, RL, WINDOW, GtkApplicationWindow)

RlWindow  *rl_window_new         (GtkApplication *application);
/* Starts the session: the test set, then model_path or the saved model. */
void       rl_window_start       (RlWindow       *self,
                                  const char     *model_path);
/* Opens a model file (keeps the current model if it cannot be read). */
void       rl_window_open_model  (RlWindow       *self,
                                  GFile          *file);
RlSession *rl_window_get_session (RlWindow       *self);

G_END_DECLS
