/* rl-explorer-window.c — the SVD Explorer window: the template, the glue to
 * the session (rank bound both ways, model and SVD changes), the layer
 * chooser, the Spectrum page and the Heat maps page. The digit and cost
 * pages live in rl-explorer-digit.c and rl-explorer-cost.c. */

#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "rl-explorer-window-private.h"

#define HEATMAP_SIDE 256u

G_DEFINE_FINAL_TYPE (RlExplorerWindow, rl_explorer_window, GTK_TYPE_WINDOW)

/* ------------------------------------------------------------- helpers */

/* 4194304 → "4,194,304" in the C locale, the locale's grouping otherwise. */
char *
_rl_explorer_format_count (guint64 value)
{
  const struct lconv *lc = localeconv ();
  g_autofree char *digits = NULL;
  GString *out;
  gsize len;

  if (lc->thousands_sep != NULL && lc->thousands_sep[0] != '\0')
    return g_strdup_printf ("%'" G_GUINT64_FORMAT, value);

  digits = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  len = strlen (digits);
  out = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

void
_rl_explorer_label_relation (GtkWidget *value,
                             GtkWidget *caption,
                             GtkWidget *caption2)
{
  /* A reference list is given as NULL-terminated arguments. */
  if (caption2 != NULL)
    gtk_accessible_update_relation (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                    caption, caption2, NULL, -1);
  else
    gtk_accessible_update_relation (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                    caption, NULL, -1);
}

static void
set_label_take (GtkLabel *label,
                char     *text)
{
  gtk_label_set_text (label, text != NULL ? text : "–");
  g_free (text);
}

RlPlan *
_rl_explorer_current_plan (RlExplorerWindow *self)
{
  const RlModel *dense = rl_session_get_dense (self->session);

  if (dense == NULL)
    return NULL;
  return rl_plan_uniform (dense, rl_session_get_rank (self->session),
                          rl_session_get_plan_mode (self->session));
}

static const RlLayerSvd *
current_layer_svd (RlExplorerWindow *self)
{
  const RlSvd *svd = rl_session_get_svd (self->session);

  if (svd == NULL || self->layer >= svd->n_layers)
    return NULL;
  return &svd->layers[self->layer];
}

/* -------------------------------------------------------- spectrum page */

static void
update_readouts (RlExplorerWindow *self)
{
  const RlLayerSvd *L = current_layer_svd (self);
  g_autoptr(RlPlan) plan = _rl_explorer_current_plan (self);
  guint rank = rl_session_get_rank (self->session);
  double norm, frob, be;
  guint r;

  if (L == NULL)
    {
      GtkLabel *labels[] = { self->shape_value, self->kept_value, self->energy_value,
                             self->norm_value, self->frob_value, self->rel_value,
                             self->spectral_value, self->break_even_value, self->weights_value };

      for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
        gtk_label_set_text (labels[i], "–");
      return;
    }

  r = MIN (rank, L->k);
  norm = rl_svd_frobenius_norm (L);
  frob = rl_svd_frobenius_error (L, r);
  be = rl_layer_break_even (L->m, L->n);

  set_label_take (self->shape_value, g_strdup_printf ("%u × %u", L->m, L->n));
  if (plan != NULL && self->layer < plan->n_layers && plan->ranks[self->layer] == 0)
    /* Translators: singular values kept, when the auto plan keeps the layer dense */
    set_label_take (self->kept_value, g_strdup_printf (_("%u of %u (the auto plan keeps W)"), r, L->k));
  else
    /* Translators: "25 of 784" singular values kept */
    set_label_take (self->kept_value, g_strdup_printf (_("%u of %u"), r, L->k));
  set_label_take (self->energy_value, g_strdup_printf (_("%.3f %%"), 100.0 * rl_svd_energy (L, r)));
  set_label_take (self->norm_value, g_strdup_printf ("%.4g", norm));
  set_label_take (self->frob_value, g_strdup_printf ("%.4g", frob));
  set_label_take (self->rel_value, norm > 0
                  ? g_strdup_printf (_("%.2f %%"), 100.0 * frob / norm) : NULL);
  set_label_take (self->spectral_value, g_strdup_printf ("%.4g", rl_svd_spectral_error (L, r)));
  if (r > be)
    /* Translators: the break-even rank when the current rank is above it */
    set_label_take (self->break_even_value, g_strdup_printf (_("%.1f (r is above it)"), be));
  else
    set_label_take (self->break_even_value, g_strdup_printf ("%.1f", be));
  {
    g_autofree char *fact = _rl_explorer_format_count (rl_cost_factored_macs (1, r, L->m, L->n));
    g_autofree char *dense = _rl_explorer_format_count (rl_cost_dense_macs (1, L->m, L->n));

    /* Translators: factored against dense weights, "45,300 against 805,952" */
    set_label_take (self->weights_value, g_strdup_printf (_("%s against %s"), fact, dense));
  }
}

static void
update_spectrum (RlExplorerWindow *self)
{
  const RlLayerSvd *L = current_layer_svd (self);

  if (L != NULL)
    rl_spectrum_view_set_spectrum (self->spectrum_view, L->s, L->k, L->m, L->n);
  else
    rl_spectrum_view_set_spectrum (self->spectrum_view, NULL, 0, 0, 0);
  update_readouts (self);
}

/* ------------------------------------------------------- heat maps page */

static int
cmp_float (gconstpointer a,
           gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return (x > y) - (x < y);
}

/* The 99th percentile of |value| (max_abs when that is 0). */
static double
robust_scale (const RlHeatmap *map)
{
  gsize n = (gsize) map->rows * map->cols;
  g_autofree float *mag = g_new (float, n);
  double p;

  for (gsize i = 0; i < n; i++)
    mag[i] = fabsf (map->data[i]);
  qsort (mag, n, sizeof (float), cmp_float);
  p = mag[MIN (n - 1, (gsize) floor (0.99 * (n - 1)))];
  return p > 0 ? p : map->max_abs;
}

static gboolean
heat_idle_cb (gpointer data)
{
  RlExplorerWindow *self = data;
  const RlModel *dense = rl_session_get_dense (self->session);
  const RlLayerSvd *L = current_layer_svd (self);
  g_autoptr(RlHeatmap) wr = NULL;
  g_autoptr(RlHeatmap) diff = NULL;
  g_autoptr(GError) error = NULL;
  double w_scale, diff_scale;
  guint r;

  self->heat_idle = 0;
  if (dense == NULL || L == NULL || self->layer >= dense->n_layers ||
      dense->layers[self->layer].w == NULL)
    {
      rl_heatmap_view_set_data (self->w_view, NULL, 0, 0, 1, RL_HEATMAP_DIVERGING);
      rl_heatmap_view_set_data (self->wr_view, NULL, 0, 0, 1, RL_HEATMAP_DIVERGING);
      rl_heatmap_view_set_data (self->diff_view, NULL, 0, 0, 1, RL_HEATMAP_DIVERGING);
      gtk_label_set_text (self->w_scale_value, "–");
      gtk_label_set_text (self->diff_scale_value, "–");
      gtk_label_set_text (self->block_value, "–");
      return G_SOURCE_REMOVE;
    }

  r = MIN (rl_session_get_rank (self->session), L->k);
  if (self->heat_w == NULL || self->heat_w_layer != self->layer)
    {
      g_clear_pointer (&self->heat_w, rl_heatmap_free);
      self->heat_w = rl_heatmap_new (dense->layers[self->layer].w, L->m, L->n,
                                     HEATMAP_SIDE, &error);
      self->heat_w_layer = self->layer;
    }
  if (self->heat_w != NULL)
    wr = rl_heatmap_new_low_rank (L, r, HEATMAP_SIDE, &error);
  if (wr != NULL)
    diff = rl_heatmap_new_difference (self->heat_w, wr, &error);
  if (diff == NULL)
    {
      g_warning ("Heat maps of layer %u: %s", self->layer + 1,
                 error != NULL ? error->message : "unknown error");
      return G_SOURCE_REMOVE;
    }

  /* W and W_r share one symmetric scale; W − W_r gets its own. A few
   * outliers would wash the maps out: the 99th percentile saturates. */
  w_scale = robust_scale (self->heat_w);
  /* At full rank W − W_r is float rounding: never magnify it more than
   * a thousandfold against W's scale. */
  diff_scale = MAX (robust_scale (diff), 1e-3 * w_scale);
  rl_heatmap_view_set_data (self->w_view, self->heat_w->data, self->heat_w->rows,
                            self->heat_w->cols, w_scale, RL_HEATMAP_DIVERGING);
  rl_heatmap_view_set_data (self->wr_view, wr->data, wr->rows, wr->cols,
                            w_scale, RL_HEATMAP_DIVERGING);
  rl_heatmap_view_set_data (self->diff_view, diff->data, diff->rows, diff->cols,
                            diff_scale, RL_HEATMAP_DIVERGING);
  set_label_take (self->w_scale_value, g_strdup_printf ("%.3g", w_scale));
  if (r >= L->k)
    /* Translators: the colour scale of W − W_r when every singular value is kept */
    set_label_take (self->diff_scale_value, g_strdup (_("W_r = W (all kept)")));
  else
    set_label_take (self->diff_scale_value, g_strdup_printf ("%.3g", diff_scale));
  /* Translators: a block of b×b weights averaged into one pixel */
  set_label_take (self->block_value, g_strdup_printf (_("%u × %u"), diff->block, diff->block));
  set_label_take (self->heat_help, g_strdup_printf (
    _("Layer %u: rows are its %u inputs, columns its %u outputs (W is in × out). Each "
      "pixel is the mean of a %u × %u block (%u × %u pixels). W_r keeps %u of %u singular "
      "values: it is the sum of %u rank-one layers σᵢ·uᵢ·vᵢᵀ, and W − W_r is the sum of "
      "the rest."),
    self->layer + 1, L->m, L->n, diff->block, diff->block, diff->rows, diff->cols,
    r, L->k, r));
  return G_SOURCE_REMOVE;
}

static void
schedule_heatmaps (RlExplorerWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->pages);

  if (g_strcmp0 (page, "heatmaps") != 0 || self->heat_idle != 0)
    return;
  self->heat_idle = g_idle_add (heat_idle_cb, self);
}

/* ------------------------------------------------------ session changes */

static void
update_status (RlExplorerWindow *self)
{
  const char *text = "";

  if (!rl_session_get_has_model (self->session))
    text = _("No model yet: train or open one in the main window.");
  else if (!rl_session_get_has_svd (self->session))
    text = _("Computing the SVD…");
  gtk_label_set_text (self->status_label, text);

  if (rl_session_get_plan_mode (self->session) == RL_PLAN_AUTO)
    gtk_label_set_text (self->plan_value,
                        _("Auto plan: a layer stays dense above its break-even rank"));
  else
    gtk_label_set_text (self->plan_value, _("Paper plan: every layer factored at rank r"));
}

static void
update_layers (RlExplorerWindow *self)
{
  const RlModel *dense = rl_session_get_dense (self->session);
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->layer_list));
  guint keep = self->layer;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  if (dense != NULL)
    for (guint l = 0; l < dense->n_layers; l++)
      /* Translators: an entry of the layer chooser, e.g. "Layer 1: 784 × 1028" */
      g_ptr_array_add (names, g_strdup_printf (_("Layer %u: %u × %u"), l + 1,
                                               dense->layers[l].in, dense->layers[l].out));
  g_ptr_array_add (names, NULL);
  gtk_string_list_splice (self->layer_list, 0, n_old, (const char * const *) names->pdata);
  if (dense != NULL && dense->n_layers > 0)
    {
      self->layer = MIN (keep, dense->n_layers - 1);
      gtk_drop_down_set_selected (self->layer_dropdown, self->layer);
    }
}

static void
model_cb (RlExplorerWindow *self)
{
  g_clear_pointer (&self->heat_w, rl_heatmap_free);
  update_status (self);
  update_layers (self);
  update_spectrum (self);
  schedule_heatmaps (self);
  _rl_explorer_model_changed (self);
  _rl_explorer_update_cost (self);
}

static void
rank_cb (RlExplorerWindow *self)
{
  update_readouts (self);
  schedule_heatmaps (self);
  _rl_explorer_update_digit (self);
  _rl_explorer_update_cost (self);
}

static void
plan_cb (RlExplorerWindow *self)
{
  update_status (self);
  update_readouts (self);
  _rl_explorer_input_changed (self);
  _rl_explorer_update_cost (self);
}

static void
layer_cb (RlExplorerWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->layer_dropdown);

  if (selected == GTK_INVALID_LIST_POSITION || selected == self->layer)
    return;
  self->layer = selected;
  update_spectrum (self);
  schedule_heatmaps (self);
}

static void
page_cb (RlExplorerWindow *self)
{
  schedule_heatmaps (self);
}

/* --------------------------------------------------------------- class */

static void
rl_explorer_window_dispose (GObject *object)
{
  RlExplorerWindow *self = RL_EXPLORER_WINDOW (object);

  g_clear_handle_id (&self->heat_idle, g_source_remove);
  _rl_explorer_digit_dispose (self);
  if (self->canvas != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->canvas, self);
      g_object_remove_weak_pointer (G_OBJECT (self->canvas), (gpointer *) &self->canvas);
      self->canvas = NULL;
    }
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), RL_TYPE_EXPLORER_WINDOW);
  g_clear_object (&self->session);
  g_clear_pointer (&self->heat_w, rl_heatmap_free);

  G_OBJECT_CLASS (rl_explorer_window_parent_class)->dispose (object);
}

static void
rl_explorer_window_class_init (RlExplorerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rl_explorer_window_dispose;

  g_type_ensure (RL_TYPE_SPECTRUM_VIEW);
  g_type_ensure (RL_TYPE_HEATMAP_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/id/ranklab/RankLab/ui/rl-explorer-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, RlExplorerWindow, name)
  CHILD (layer_list);
  CHILD (layer_dropdown);
  CHILD (rank_adjustment);
  CHILD (plan_value);
  CHILD (status_label);
  CHILD (pages);
  CHILD (spectrum_view);
  CHILD (log_x_check);
  CHILD (shape_value);
  CHILD (kept_value);
  CHILD (energy_value);
  CHILD (norm_value);
  CHILD (frob_value);
  CHILD (rel_value);
  CHILD (spectral_value);
  CHILD (break_even_value);
  CHILD (weights_value);
  CHILD (strokes_title);
  CHILD (strokes_grid);
  CHILD (offset_adjustment);
  CHILD (digit_hint);
  CHILD (input_view);
  CHILD (projection_view);
  CHILD (residual_view);
  CHILD (seen_value);
  CHILD (orig_pred_value);
  CHILD (comp_pred_value);
  CHILD (stable_value);
  CHILD (disagree_value);
  CHILD (rank_strip);
  CHILD (stable_help);
  CHILD (w_view);
  CHILD (wr_view);
  CHILD (diff_view);
  CHILD (legend_view);
  CHILD (w_scale_value);
  CHILD (diff_scale_value);
  CHILD (block_value);
  CHILD (heat_help);
  CHILD (example_params);
  CHILD (ex_dense_value);
  CHILD (ex_factored_value);
  CHILD (ex_ratio_value);
  CHILD (batch_adjustment);
  CHILD (cost_grid);
  CHILD (macs_orig_value);
  CHILD (macs_comp_value);
  CHILD (flop_ratio_value);
  CHILD (speedup_value);
  CHILD (cost_help);
#undef CHILD

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
rl_explorer_window_init (RlExplorerWindow *self)
{
  float legend[64];

  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (legend); i++)
    legend[i] = -1.0f + 2.0f * i / (G_N_ELEMENTS (legend) - 1);
  rl_heatmap_view_set_data (self->legend_view, legend, 1, G_N_ELEMENTS (legend), 1.0,
                            RL_HEATMAP_DIVERGING);
  rl_heatmap_view_set_keep_aspect (self->legend_view, FALSE);
  rl_heatmap_view_set_natural_side (self->w_view, 256);
  rl_heatmap_view_set_natural_side (self->wr_view, 256);
  rl_heatmap_view_set_natural_side (self->diff_view, 256);

  g_object_bind_property (self->log_x_check, "active", self->spectrum_view, "log-x",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_signal_connect_object (self->layer_dropdown, "notify::selected",
                           G_CALLBACK (layer_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pages, "notify::visible-child",
                           G_CALLBACK (page_cb), self, G_CONNECT_SWAPPED);

  _rl_explorer_digit_init (self);
  _rl_explorer_cost_init (self);
}

static void
canvas_changed_cb (RlExplorerWindow *self)
{
  _rl_explorer_input_changed (self);
}

RlExplorerWindow *
rl_explorer_window_new (GtkApplication *application,
                        RlSession      *session,
                        RlDigitCanvas  *canvas)
{
  RlExplorerWindow *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (RL_IS_SESSION (session), NULL);
  g_return_val_if_fail (canvas == NULL || RL_IS_DIGIT_CANVAS (canvas), NULL);

  self = g_object_new (RL_TYPE_EXPLORER_WINDOW, "application", application, NULL);
  self->session = g_object_ref (session);

  /* the range first, then the value; the rank is shared both ways */
  g_object_bind_property (session, "max-rank", self->rank_adjustment, "upper",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (session, "rank", self->rank_adjustment, "value",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property (session, "rank", self->spectrum_view, "rank",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);

  g_signal_connect_object (session, "notify::has-model", G_CALLBACK (model_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::has-svd", G_CALLBACK (model_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::rank", G_CALLBACK (rank_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::plan-mode", G_CALLBACK (plan_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "results-changed", G_CALLBACK (_rl_explorer_update_cost),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::evaluating", G_CALLBACK (_rl_explorer_update_cost),
                           self, G_CONNECT_SWAPPED);

  if (canvas != NULL)
    {
      self->canvas = canvas;
      g_object_add_weak_pointer (G_OBJECT (canvas), (gpointer *) &self->canvas);
      g_signal_connect_object (canvas, "changed", G_CALLBACK (canvas_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }

  model_cb (self);
  _rl_explorer_input_changed (self);
  return self;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

RlExplorerWindow *
rl_explorer_window_present (GtkWindow     *parent,
                            RlSession     *session,
                            RlDigitCanvas *canvas)
{
  GWeakRef *ref;
  RlExplorerWindow *self = NULL;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (RL_IS_SESSION (session), NULL);

  ref = g_object_get_data (G_OBJECT (parent), "rl-explorer-window");
  if (ref != NULL)
    self = g_weak_ref_get (ref);   /* a strong reference, or NULL */
  if (self == NULL)
    {
      self = g_object_ref (rl_explorer_window_new (gtk_window_get_application (parent),
                                                   session, canvas));
      gtk_window_set_transient_for (GTK_WINDOW (self), parent);
      gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
      ref = g_new0 (GWeakRef, 1);
      g_weak_ref_init (ref, self);
      g_object_set_data_full (G_OBJECT (parent), "rl-explorer-window", ref, weak_ref_free);
    }
  gtk_window_present (GTK_WINDOW (self));
  g_object_unref (self);   /* the toplevel list keeps it */
  return self;
}

RlSession *
rl_explorer_window_get_session (RlExplorerWindow *self)
{
  g_return_val_if_fail (RL_IS_EXPLORER_WINDOW (self), NULL);
  return self->session;
}
