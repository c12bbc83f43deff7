/* rl-application.h — the GtkApplication: app actions, accelerators, and
 * `ranklab MODEL` (G_APPLICATION_HANDLES_OPEN). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RL_TYPE_APPLICATION (rl_application_get_type ())

G_DECLARE_FINAL_TYPE (RlApplication, rl_application, RL, APPLICATION, GtkApplication)

RlApplication *rl_application_new (void);

G_END_DECLS
