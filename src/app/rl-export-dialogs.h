/* rl-export-dialogs.h — the app's exports: the sweep table as CSV with provenance
 * comments, and the compressed model as safetensors or NumPy .npz. */
#pragma once

#include <gtk/gtk.h>

#include "rl-session.h"

G_BEGIN_DECLS

/* "# model_sha256=…", "# model=…", "# plan=…", "# date=…",
 * "# blas_threads=…", "# generator=RankLab …" then rl_sweep_to_csv.
 * NULL when the session has no sweep yet. */
char *rl_export_sweep_csv (RlSession *session);

/* Asks for a file (safetensors or .npz) and saves the truncated model at
 * the session's current rank and plan; errors go to the window's bar. */
void  rl_export_model     (GtkWindow *parent,
                           RlSession *session);

G_END_DECLS
