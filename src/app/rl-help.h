/* rl-help.h — in-app explanations (app.svd-help, F1). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Shows "What Is SVD Truncation?" (ui/rl-svd-help.ui), one per parent. */
void rl_help_show_svd (GtkWindow *parent);

G_END_DECLS
