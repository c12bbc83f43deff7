/* rl-settings.h — GSettings (schema id.ranklab.RankLab) for the app: window
 * state, last rank, plan and model, the MNIST folder and the style.
 *
 * When the schema is not installed (a copied binary, a broken install) the
 * app still runs: rl_settings_new returns NULL, every other function
 * accepts NULL and falls back to the schema's defaults, nothing is kept. */
#pragma once

#include <gtk/gtk.h>

#include "rl-window.h"

G_BEGIN_DECLS

typedef enum
{
  RL_THEME_SYSTEM,
  RL_THEME_LIGHT,
  RL_THEME_DARK,
} RlTheme;

/* The installed schema, else the one compiled into the build tree when the
 * app runs from it; NULL when neither exists. */
GSettings *rl_settings_new                 (void);

/* Applies the style now and whenever the key changes. */
void       rl_settings_apply_theme         (GSettings  *settings);

/* Restores the window's size and maximised state, keeps them on close,
 * restores the plan at once and the rank once a model is loaded, and keeps
 * rank, plan and the model's file up to date. Call before the window's
 * session starts. */
void       rl_settings_attach_window       (GSettings  *settings,
                                            RlWindow   *window);

/* The last model when that file still exists, else NULL. */
char      *rl_settings_dup_start_model     (GSettings  *settings);
/* The chosen MNIST folder, NULL = automatic. */
char      *rl_settings_dup_data_folder     (GSettings  *settings);

/* The folders the app runs from when uninstalled: NULL when installed. */
const char *rl_settings_build_root         (void);

G_END_DECLS
