/* rl-window-private.h — shared by rl-window.c and rl-window-actions.c. */
#pragma once

#include "rl-window.h"
#include "rl-chart-view.h"
#include "rl-digit-canvas.h"
#include "rl-digit-preview.h"
#include "rl-prob-bars.h"

G_BEGIN_DECLS

struct _RlWindow
{
  GtkApplicationWindow  parent_instance;

  RlSession            *session;
  gboolean              started;

  /* Template children */
  GtkLabel             *subtitle_label;
  GtkSpinner           *eval_spinner;
  GtkInfoBar           *info_bar;
  GtkLabel             *info_label;
  GtkRevealer          *progress_revealer;
  GtkLabel             *progress_label;
  GtkProgressBar       *progress_bar;
  GtkStack             *content_stack;
  GtkLabel             *data_hint_label;
  GtkSpinner           *loading_spinner;

  GtkProgressBar       *train_bar;
  GtkLabel             *epoch_value;
  GtkLabel             *step_value;
  GtkLabel             *loss_value;
  GtkLabel             *train_accuracy_value;
  GtkLabel             *time_left_value;

  GtkScale             *rank_scale;
  GtkAdjustment        *rank_adjustment;
  GtkDropDown          *plan_dropdown;

  GtkLabel             *accuracy_value;
  GtkLabel             *latency_value;
  GtkLabel             *params_value;
  GtkLabel             *memory_value;
  GtkLabel             *saving_value;
  GtkLabel             *speedup_value;
  GtkLabel             *orig_accuracy_value;
  GtkLabel             *orig_latency_value;
  GtkLabel             *orig_params_value;
  GtkLabel             *orig_memory_value;

  RlDigitCanvas        *canvas;
  RlDigitPreview       *preview;
  GtkLabel             *prediction_value;
  GtkLabel             *orig_prediction_value;
  RlProbBars           *prob_bars;
  RlProbBars           *orig_prob_bars;

  GtkStack             *chart_stack;
  RlChartView          *accuracy_chart;
  RlChartView          *latency_chart;
  RlChartView          *params_chart;
  RlChartView          *pareto_chart;

  /* Rank plans (rl-window-plans.c) */
  GtkStack             *plan_stack;
  GtkToggleButton      *uniform_toggle;
  GtkToggleButton      *per_layer_toggle;
  GtkToggleButton      *energy_toggle;
  GtkToggleButton      *budget_toggle;
  GtkBox               *layer_ranks_box;
  GtkAdjustment        *energy_adjustment;
  GtkAdjustment        *budget_adjustment;
  GtkSpinner           *budget_spinner;
  GtkWidget            *cancel_budget_button;
  GtkLabel             *layer_ranks_value;
  GtkSpinButton        *layer_spins[16];   /* RL_MODEL_MAX_LAYERS */
  guint                 n_layer_spins;
  gboolean              syncing_plan;      /* updating controls from the session */

  /* Fine-tuning */
  GtkAdjustment        *epochs_adjustment;
  GtkStack             *finetune_stack;
  GtkProgressBar       *finetune_bar;
  GtkLabel             *finetune_time_value;
  GtkLabel             *finetune_before_value;
  GtkLabel             *finetune_after_value;
  GtkMessageDialog     *experiment_dialog;  /* "open its model?" */

  GtkNativeDialog      *file_dialog;   /* the one open file chooser, if any */
};

/* rl-window-actions.c */
void  _rl_window_class_actions_init (RlWindowClass *klass);
void  _rl_window_update_actions     (RlWindow      *self);

/* rl-window-plans.c */
void  _rl_window_class_plans_init   (GtkWidgetClass *widget_class);
void  _rl_window_plans_init         (RlWindow      *self);
void  _rl_window_update_pareto      (RlWindow      *self);
void  _rl_window_open_experiment    (RlWindow      *self,
                                     const char    *path);

/* rl-window.c */
char *_rl_window_format_accuracy    (double         accuracy);
char *_rl_window_format_count       (guint64        value);
char *_rl_window_format_duration    (double         seconds);

void  _rl_window_show_error         (RlWindow      *self,
                                     const char    *message);
void  _rl_window_update_prediction  (RlWindow      *self);

G_END_DECLS
