/* rl-explorer-digit.c — the Eigen-strokes page: the first layer's input
 * directions u_i as 28×28 images, the drawn digit projected onto the top-r
 * input subspace, and the prediction at every rank (computed in a GTask on
 * a private copy of the model and its SVD, coalesced while drawing). */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "rl-explorer-window-private.h"

#define SIDE           28u
#define PREDS_DELAY_MS 250u

/* ------------------------------------------------------------ snapshot */

static void
snapshot_clear (gpointer data)
{
  RlExplorerSnapshot *snap = data;

  g_clear_pointer (&snap->dense, rl_model_free);
  g_clear_pointer (&snap->svd, rl_svd_free);
}

static void
snapshot_unref (RlExplorerSnapshot *snap)
{
  g_atomic_rc_box_release_full (snap, snapshot_clear);
}

static RlExplorerSnapshot *
ensure_snapshot (RlExplorerWindow *self)
{
  const RlModel *dense = rl_session_get_dense (self->session);
  const RlSvd *svd = rl_session_get_svd (self->session);

  if (self->snapshot == NULL && dense != NULL && svd != NULL)
    {
      self->snapshot = g_atomic_rc_box_new0 (RlExplorerSnapshot);
      self->snapshot->dense = rl_model_copy (dense);
      self->snapshot->svd = rl_factors_svd_copy (svd);
    }
  return self->snapshot;
}

/* ---------------------------------------------------------- the worker */

typedef struct
{
  RlExplorerSnapshot *snap;
  float               input[784];
  RlPlanMode          mode;
} PredsJob;

static void
preds_job_free (gpointer data)
{
  PredsJob *job = data;

  snapshot_unref (job->snap);
  g_free (job);
}

static void
preds_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  PredsJob *job = task_data;
  GError *error = NULL;
  RlRankPredictions *preds;

  preds = rl_rank_predictions_compute (job->snap->dense, job->snap->svd, job->input,
                                       job->mode, cancellable, &error);
  if (preds == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, preds, (GDestroyNotify) rl_rank_predictions_free);
}

static void
preds_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  RlExplorerWindow *self = RL_EXPLORER_WINDOW (object);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));
  g_autoptr(GError) error = NULL;
  RlRankPredictions *preds = g_task_propagate_pointer (G_TASK (result), &error);

  if (cancellable != self->preds_cancellable || g_cancellable_is_cancelled (cancellable))
    {
      g_clear_pointer (&preds, rl_rank_predictions_free);
      return;   /* stale: a newer job runs or the window is gone */
    }
  g_clear_object (&self->preds_cancellable);
  if (preds == NULL)
    {
      g_warning ("Predictions by rank: %s", error->message);
      return;
    }
  g_clear_pointer (&self->preds, rl_rank_predictions_free);
  self->preds = preds;
  _rl_explorer_update_digit (self);
}

static gboolean
preds_timeout_cb (gpointer data)
{
  RlExplorerWindow *self = data;
  RlExplorerSnapshot *snap;
  g_autoptr(GTask) task = NULL;
  PredsJob *job;

  self->preds_timeout = 0;
  snap = ensure_snapshot (self);
  if (snap == NULL || !self->has_input ||
      rl_model_input_size (snap->dense) != G_N_ELEMENTS (self->input))
    return G_SOURCE_REMOVE;

  job = g_new0 (PredsJob, 1);
  job->snap = g_atomic_rc_box_acquire (snap);
  memcpy (job->input, self->input, sizeof job->input);
  job->mode = rl_session_get_plan_mode (self->session);

  self->preds_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->preds_cancellable, preds_done, NULL);
  g_task_set_source_tag (task, preds_timeout_cb);
  g_task_set_task_data (task, job, preds_job_free);
  g_task_run_in_thread (task, preds_thread);
  return G_SOURCE_REMOVE;
}

static void
cancel_preds (RlExplorerWindow *self)
{
  g_clear_handle_id (&self->preds_timeout, g_source_remove);
  if (self->preds_cancellable != NULL)
    g_cancellable_cancel (self->preds_cancellable);
  g_clear_object (&self->preds_cancellable);
  g_clear_pointer (&self->preds, rl_rank_predictions_free);
}

/* ------------------------------------------------------- eigen-strokes */

void
_rl_explorer_update_strokes (RlExplorerWindow *self)
{
  const RlSvd *svd = rl_session_get_svd (self->session);
  const RlLayerSvd *L = svd != NULL && svd->n_layers > 0 ? &svd->layers[0] : NULL;
  guint first = (guint) gtk_adjustment_get_value (self->offset_adjustment);
  float u[784];

  if (L == NULL || L->m != SIDE * SIDE)
    {
      for (guint i = 0; i < RL_EXPLORER_N_STROKES; i++)
        {
          rl_heatmap_view_set_data (self->stroke_views[i], NULL, 0, 0, 1, RL_HEATMAP_DIVERGING);
          gtk_label_set_text (self->stroke_labels[i], "");
        }
      gtk_label_set_text (self->strokes_title, L == NULL
                          ? _("Input directions of layer 1 (waiting for the SVD)")
                          : _("Layer 1's inputs are not a 28×28 image"));
      return;
    }

  gtk_adjustment_set_upper (self->offset_adjustment,
                            MAX (1.0, (double) L->k - RL_EXPLORER_N_STROKES + 1));
  first = CLAMP (first, 1u, L->k);
  {
    /* Translators: "Input directions u1 … u16 of layer 1 (of 784)" */
    g_autofree char *title =
      g_strdup_printf (_("Input directions u%u … u%u of layer 1 (of %u)"), first,
                       MIN (first + RL_EXPLORER_N_STROKES - 1, L->k), L->k);
    gtk_label_set_text (self->strokes_title, title);
  }

  for (guint i = 0; i < RL_EXPLORER_N_STROKES; i++)
    {
      guint idx = first - 1 + i;
      g_autofree char *caption = NULL;
      g_autofree char *desc = NULL;
      double scale = 0.0;

      if (idx >= L->k || !rl_factors_input_direction (L, idx, u))
        {
          rl_heatmap_view_set_data (self->stroke_views[i], NULL, 0, 0, 1, RL_HEATMAP_DIVERGING);
          gtk_label_set_text (self->stroke_labels[i], "");
          continue;
        }
      for (guint a = 0; a < L->m; a++)
        scale = MAX (scale, fabs (u[a]));
      rl_heatmap_view_set_data (self->stroke_views[i], u, SIDE, SIDE, scale, RL_HEATMAP_DIVERGING);
      /* Translators: caption of an eigen-stroke: its index and singular value */
      caption = g_strdup_printf (_("u%u · σ = %.3g"), idx + 1, L->s[idx]);
      gtk_label_set_text (self->stroke_labels[i], caption);
      desc = g_strdup_printf (_("Input direction %u of layer 1, singular value %.3g"),
                              idx + 1, L->s[idx]);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->stroke_views[i]),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, desc, -1);
    }
}

/* ------------------------------------------------------------ the digit */

static char *
format_prediction (const RlModel *model,
                   float         *outputs,
                   guint          digit)
{
  float probs[256];
  guint n = rl_model_output_size (model);

  if (n > G_N_ELEMENTS (probs))
    return g_strdup_printf ("%u", digit);
  rl_model_class_probabilities (model, outputs, probs);
  /* Translators: a predicted class and its probability, e.g. "7 (93 %)" */
  return g_strdup_printf (_("%u (%.0f %%)"), digit, 100.0 * probs[digit]);
}

static void
clear_digit (RlExplorerWindow *self,
             const char       *hint)
{
  rl_heatmap_view_set_data (self->input_view, NULL, 0, 0, 1, RL_HEATMAP_DIVERGING);
  rl_heatmap_view_set_data (self->projection_view, NULL, 0, 0, 1, RL_HEATMAP_DIVERGING);
  rl_heatmap_view_set_data (self->residual_view, NULL, 0, 0, 1, RL_HEATMAP_DIVERGING);
  gtk_label_set_text (self->seen_value, "–");
  gtk_label_set_text (self->orig_pred_value, "–");
  gtk_label_set_text (self->comp_pred_value, "–");
  gtk_label_set_text (self->stable_value, "–");
  gtk_label_set_text (self->disagree_value, "–");
  gtk_label_set_text (self->stable_help, "");
  gtk_label_set_text (self->digit_hint, hint);
  gtk_widget_set_visible (GTK_WIDGET (self->digit_hint), TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self->rank_strip));
}

static void
update_stable (RlExplorerWindow *self)
{
  const RlRankPredictions *p = self->preds;
  g_autofree char *help = NULL;

  if (p == NULL)
    {
      gtk_label_set_text (self->stable_value, _("computing…"));
      gtk_label_set_text (self->disagree_value, "–");
      gtk_label_set_text (self->stable_help, "");
      gtk_widget_queue_draw (GTK_WIDGET (self->rank_strip));
      return;
    }

  if (p->stable_rank > p->n_ranks)
    {
      gtk_label_set_text (self->stable_value, _("none"));
      help = g_strdup_printf (_("Even at rank %u the compressed model does not predict %u."),
                              p->n_ranks, p->original);
    }
  else
    {
      g_autofree char *v = g_strdup_printf ("%u", p->stable_rank);

      gtk_label_set_text (self->stable_value, v);
      if (p->stable_rank == 1)
        help = g_strdup_printf (_("At every rank, even 1, the compressed model predicts %u, "
                                  "like the original."), p->original);
      else
        help = g_strdup_printf (_("From rank %u up the compressed model always predicts %u, "
                                  "like the original; at rank %u it predicts %u. The lowest "
                                  "stable rank is the smallest r with the original's "
                                  "prediction at r and at every rank above it."),
                                p->stable_rank, p->original, p->stable_rank - 1,
                                p->classes[p->stable_rank - 2]);
    }
  {
    /* Translators: "3 of 784" ranks */
    g_autofree char *d = g_strdup_printf (_("%u of %u"), p->n_disagree, p->n_ranks);
    gtk_label_set_text (self->disagree_value, d);
  }
  gtk_label_set_text (self->stable_help, help);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->rank_strip),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, help, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self->rank_strip));
}

void
_rl_explorer_update_digit (RlExplorerWindow *self)
{
  const RlModel *dense = rl_session_get_dense (self->session);
  const RlSvd *svd = rl_session_get_svd (self->session);
  g_autoptr(RlPlan) plan = NULL;
  float proj[784], resid[784], outputs[256];
  double seen, scale = 0.0;
  guint r0;

  if (!self->has_input)
    {
      clear_digit (self, _("Draw a digit on the main window's canvas."));
      return;
    }
  if (dense == NULL || svd == NULL || rl_model_input_size (dense) != 784 ||
      rl_model_output_size (dense) > G_N_ELEMENTS (outputs))
    {
      clear_digit (self, _("The digit is explained once a model and its SVD are ready."));
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->digit_hint), FALSE);

  plan = _rl_explorer_current_plan (self);
  r0 = plan->ranks[0];
  if (r0 == 0)
    {
      /* the auto plan keeps layer 1 dense: it sees the whole input */
      memcpy (proj, self->input, sizeof proj);
      seen = 1.0;
    }
  else
    seen = rl_factors_project_input (&svd->layers[0], r0, self->input, proj);
  for (guint a = 0; a < 784; a++)
    {
      resid[a] = self->input[a] - proj[a];
      scale = MAX (scale, fabs (self->input[a]));
    }
  scale = MAX (scale, 1e-6);
  rl_heatmap_view_set_data (self->input_view, self->input, SIDE, SIDE, scale, RL_HEATMAP_DIVERGING);
  rl_heatmap_view_set_data (self->projection_view, proj, SIDE, SIDE, scale, RL_HEATMAP_DIVERGING);
  rl_heatmap_view_set_data (self->residual_view, resid, SIDE, SIDE, scale, RL_HEATMAP_DIVERGING);

  if (r0 == 0)
    gtk_label_set_text (self->seen_value, _("100 % (layer 1 stays dense)"));
  else
    {
      g_autofree char *text = g_strdup_printf (_("%.1f %% at rank %u"), 100.0 * seen, r0);
      gtk_label_set_text (self->seen_value, text);
    }

  {
    guint digit = rl_model_predict (dense, self->input, outputs);
    g_autofree char *text = format_prediction (dense, outputs, digit);
    gtk_label_set_text (self->orig_pred_value, text);
  }
  {
    guint digit = rl_factors_predict (dense, svd, plan, self->input, outputs);
    g_autofree char *text = format_prediction (dense, outputs, digit);
    gtk_label_set_text (self->comp_pred_value, text);
  }
  update_stable (self);
}

void
_rl_explorer_input_changed (RlExplorerWindow *self)
{
  cancel_preds (self);
  self->has_input = self->canvas != NULL &&
                    rl_digit_canvas_get_input (self->canvas, self->input);
  _rl_explorer_update_digit (self);
  if (self->has_input && rl_session_get_has_svd (self->session))
    self->preds_timeout = g_timeout_add (PREDS_DELAY_MS, preds_timeout_cb, self);
}

void
_rl_explorer_model_changed (RlExplorerWindow *self)
{
  g_clear_pointer (&self->snapshot, snapshot_unref);
  _rl_explorer_update_strokes (self);
  _rl_explorer_input_changed (self);
}

/* ----------------------------------------------------- the rank strip */

/* x of rank r (1..n) on a log axis over width; ranks are cells
 * [log r, log (r+1)) of [0, log (n+1)). */
static double
strip_x (double r,
         guint  n,
         double width)
{
  return width * log (r) / log (n + 1.0);
}

static void
draw_strip (GtkDrawingArea *area,
            cairo_t        *cr,
            int             width,
            int             height,
            gpointer        user_data)
{
  RlExplorerWindow *self = user_data;
  const RlRankPredictions *p = self->preds;
  g_autoptr(PangoLayout) layout = NULL;
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (area));
  double bar = height - 18.0;
  GdkRGBA fg, accent;
  double x;

  gtk_style_context_get_color (context, &fg);
  if (!gtk_style_context_lookup_color (context, "accent_bg_color", &accent))
    gdk_rgba_parse (&accent, "#3584e4");

  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.15);
  cairo_rectangle (cr, 0, 0, width, bar);
  cairo_fill (cr);
  if (p == NULL || p->n_ranks == 0 || !self->has_input)
    return;

  /* ranks with another prediction than the original's, dark */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.85);
  for (guint r = 1; r <= p->n_ranks; r++)
    if (p->classes[r - 1] != p->original)
      {
        double x0 = strip_x (r, p->n_ranks, width);
        double x1 = MAX (x0 + 1.0, strip_x (r + 1, p->n_ranks, width));

        cairo_rectangle (cr, x0, 0, x1 - x0, bar);
      }
  cairo_fill (cr);

  /* ticks at 1, 10, 100, … and the last rank */
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (area), NULL);
  cairo_set_line_width (cr, 1.0);
  for (guint t = 1; t <= p->n_ranks; t *= 10)
    {
      char buf[16];
      int w, h;

      x = floor (strip_x (t + 0.5, p->n_ranks, width)) + 0.5;
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.6);
      cairo_move_to (cr, x, bar);
      cairo_line_to (cr, x, bar + 4);
      cairo_stroke (cr);
      g_snprintf (buf, sizeof buf, "%u", t);
      pango_layout_set_text (layout, buf, -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      cairo_move_to (cr, CLAMP (x - w / 2.0, 0, width - w), bar + 3);
      pango_cairo_show_layout (cr, layout);
    }

  /* the current rank */
  x = floor (strip_x (MIN (rl_session_get_rank (self->session), p->n_ranks) + 0.5,
                      p->n_ranks, width)) + 0.5;
  gdk_cairo_set_source_rgba (cr, &accent);
  cairo_set_line_width (cr, 3.0);
  cairo_move_to (cr, x, 0);
  cairo_line_to (cr, x, bar);
  cairo_stroke (cr);
}

/* ------------------------------------------------------------ lifetime */

static void
offset_changed_cb (RlExplorerWindow *self)
{
  _rl_explorer_update_strokes (self);
}

void
_rl_explorer_digit_init (RlExplorerWindow *self)
{
  for (guint i = 0; i < RL_EXPLORER_N_STROKES; i++)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *view = rl_heatmap_view_new ();
      GtkWidget *label = gtk_label_new (NULL);

      rl_heatmap_view_set_natural_side (RL_HEATMAP_VIEW (view), 84);
      gtk_widget_add_css_class (label, "caption");
      gtk_box_append (GTK_BOX (box), view);
      gtk_box_append (GTK_BOX (box), label);
      gtk_grid_attach (self->strokes_grid, box, i % 4, i / 4, 1, 1);
      _rl_explorer_label_relation (view, label, NULL);
      self->stroke_views[i] = RL_HEATMAP_VIEW (view);
      self->stroke_labels[i] = GTK_LABEL (label);
    }
  rl_heatmap_view_set_natural_side (self->input_view, 112);
  rl_heatmap_view_set_natural_side (self->projection_view, 112);
  rl_heatmap_view_set_natural_side (self->residual_view, 112);

  gtk_drawing_area_set_draw_func (self->rank_strip, draw_strip, self, NULL);
  g_signal_connect_object (self->offset_adjustment, "value-changed",
                           G_CALLBACK (offset_changed_cb), self, G_CONNECT_SWAPPED);
}

void
_rl_explorer_digit_dispose (RlExplorerWindow *self)
{
  cancel_preds (self);
  g_clear_pointer (&self->snapshot, snapshot_unref);
}
