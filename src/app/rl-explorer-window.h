/* rl-explorer-window.h — the SVD Explorer: a second window that teaches
 * what the truncation does (spectrum, eigen-strokes, heat maps, cost). It
 * observes the main window's session and shares its rank both ways. */
#pragma once

#include <gtk/gtk.h>

#include "rl-session.h"
#include "rl-digit-canvas.h"

G_BEGIN_DECLS

#define RL_TYPE_EXPLORER_WINDOW (rl_explorer_window_get_type ())

G_DECLARE_FINAL_TYPE (RlExplorerWindow, rl_explorer_window, RL, EXPLORER_WINDOW, GtkWindow)

/* canvas (may be NULL) is where the digit is drawn; the explorer follows
 * its "changed" signal. */
RlExplorerWindow *rl_explorer_window_new     (GtkApplication *application,
                                              RlSession      *session,
                                              RlDigitCanvas  *canvas);

/* Presents parent's explorer, creating it (transient for parent, destroyed
 * with it) the first time. */
RlExplorerWindow *rl_explorer_window_present (GtkWindow      *parent,
                                              RlSession      *session,
                                              RlDigitCanvas  *canvas);

RlSession        *rl_explorer_window_get_session (RlExplorerWindow *self);

G_END_DECLS
