/* rl-explorer-cost.c — the Cost page: the study's worked example, the
 * multiply-adds of every layer of the current model at the current plan
 * with the formulas and their numbers, and the FLOP ratio beside the
 * measured speed-up. */

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "rl-explorer-window-private.h"

/* The study's worked example. */
#define EX_M     512u
#define EX_N     256u
#define EX_R     50u
#define EX_BATCH 32u

static GtkWidget *
cell (GtkGrid    *grid,
      const char *text,
      int         column,
      int         row,
      gboolean    header)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), column == 0 ? 0.0f : 1.0f);
  if (header)
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_add_css_class (label, "numeric");
  gtk_grid_attach (grid, label, column, row, 1, 1);
  return label;
}

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static char *
format_ratio (guint64 num,
              guint64 den)
{
  if (den == 0)
    return g_strdup ("–");
  /* Translators: a ratio, e.g. "3.41×" */
  return g_strdup_printf (_("%.2f×"), (double) num / den);
}

static void
fill_example (RlExplorerWindow *self)
{
  guint64 dense = rl_cost_dense_macs (EX_BATCH, EX_M, EX_N);
  guint64 fact = rl_cost_factored_macs (EX_BATCH, EX_R, EX_M, EX_N);
  g_autofree char *sdense = _rl_explorer_format_count (dense);
  g_autofree char *sfact = _rl_explorer_format_count (fact);
  g_autofree char *ratio = format_ratio (dense, fact);
  g_autofree char *params = NULL;
  g_autofree char *t1 = NULL;
  g_autofree char *t2 = NULL;
  g_autofree char *t3 = NULL;

  /* Translators: the worked example's sizes */
  params = g_strdup_printf (_("A %u × %u layer at rank r = %u, a batch of b = %u inputs:"),
                            EX_M, EX_N, EX_R, EX_BATCH);
  gtk_label_set_text (self->example_params, params);
  t1 = g_strdup_printf ("%u · %u · %u = %s", EX_BATCH, EX_M, EX_N, sdense);
  gtk_label_set_text (self->ex_dense_value, t1);
  t2 = g_strdup_printf ("%u · %u · (%u + %u) = %u · %u · %u = %s", EX_BATCH, EX_R, EX_M, EX_N,
                        EX_BATCH, EX_R, EX_M + EX_N, sfact);
  gtk_label_set_text (self->ex_factored_value, t2);
  t3 = g_strdup_printf ("%s / %s = %s", sdense, sfact, ratio);
  gtk_label_set_text (self->ex_ratio_value, t3);
}

static void
fill_layers (RlExplorerWindow *self,
             const RlModel    *dense,
             const RlPlan     *plan,
             guint64           batch)
{
  GtkGrid *grid = self->cost_grid;
  const char *heads[] = { N_("Layer"), N_("m × n"), N_("Rank r"), N_("Dense b·m·n"),
                          N_("Factored b·r·(m+n)"), N_("Ratio") };
  GtkWidget *head[G_N_ELEMENTS (heads)];
  guint64 sum_dense = 0, sum_fact = 0;
  guint row = 1;

  clear_grid (grid);
  for (guint c = 0; c < G_N_ELEMENTS (heads); c++)
    head[c] = cell (grid, _(heads[c]), c, 0, TRUE);

  for (guint l = 0; l < dense->n_layers; l++, row++)
    {
      const RlLayer *L = &dense->layers[l];
      guint r = plan->ranks[l];
      guint64 d = rl_cost_dense_macs (batch, L->in, L->out);
      guint64 f = r > 0 ? rl_cost_factored_macs (batch, r, L->in, L->out) : d;
      g_autofree char *name = g_strdup_printf (_("Layer %u"), l + 1);
      g_autofree char *shape = g_strdup_printf ("%u × %u", L->in, L->out);
      g_autofree char *rank = r > 0 ? g_strdup_printf ("%u", r) : g_strdup (_("dense"));
      g_autofree char *sd = _rl_explorer_format_count (d);
      g_autofree char *sf = _rl_explorer_format_count (f);
      g_autofree char *td = g_strdup_printf ("%" G_GUINT64_FORMAT " · %u · %u = %s",
                                             batch, L->in, L->out, sd);
      g_autofree char *tf = r > 0
        ? g_strdup_printf ("%" G_GUINT64_FORMAT " · %u · (%u + %u) = %s", batch, r, L->in, L->out, sf)
        /* Translators: a layer the auto plan keeps dense costs b·m·n */
        : g_strdup_printf (_("kept dense: %s"), sf);
      g_autofree char *ratio = format_ratio (d, f);
      const char *texts[] = { shape, rank, td, tf, ratio };
      GtkWidget *rowhead = cell (grid, name, 0, row, TRUE);

      for (guint c = 0; c < G_N_ELEMENTS (texts); c++)
        _rl_explorer_label_relation (cell (grid, texts[c], c + 1, row, FALSE), rowhead, head[c + 1]);
      sum_dense += d;
      sum_fact += f;
    }

  {
    g_autofree char *sd = _rl_explorer_format_count (sum_dense);
    g_autofree char *sf = _rl_explorer_format_count (sum_fact);
    g_autofree char *ratio = format_ratio (sum_dense, sum_fact);
    GtkWidget *rowhead = cell (grid, _("All layers"), 0, row, TRUE);

    _rl_explorer_label_relation (cell (grid, sd, 3, row, FALSE), rowhead, head[3]);
    _rl_explorer_label_relation (cell (grid, sf, 4, row, FALSE), rowhead, head[4]);
    _rl_explorer_label_relation (cell (grid, ratio, 5, row, FALSE), rowhead, head[5]);
  }
}

void
_rl_explorer_update_cost (RlExplorerWindow *self)
{
  const RlModel *dense = rl_session_get_dense (self->session);
  const RlFigures *cur = rl_session_get_current (self->session);
  g_autoptr(RlPlan) plan = _rl_explorer_current_plan (self);
  guint64 batch = (guint64) gtk_adjustment_get_value (self->batch_adjustment);
  guint64 orig, comp;
  double flop_ratio;
  gboolean measured;

  if (dense == NULL || plan == NULL)
    {
      clear_grid (self->cost_grid);
      gtk_label_set_text (self->macs_orig_value, "–");
      gtk_label_set_text (self->macs_comp_value, "–");
      gtk_label_set_text (self->flop_ratio_value, "–");
      gtk_label_set_text (self->speedup_value, "–");
      gtk_label_set_text (self->cost_help, "");
      return;
    }

  fill_layers (self, dense, plan, MAX (batch, 1));

  orig = rl_model_macs (dense);
  comp = rl_plan_macs (dense, plan);
  flop_ratio = comp > 0 ? (double) orig / comp : 0.0;
  {
    g_autofree char *so = _rl_explorer_format_count (orig);
    g_autofree char *sc = _rl_explorer_format_count (comp);
    g_autofree char *ratio = format_ratio (orig, comp);

    gtk_label_set_text (self->macs_orig_value, so);
    gtk_label_set_text (self->macs_comp_value, sc);
    gtk_label_set_text (self->flop_ratio_value, ratio);
  }

  measured = cur->valid && cur->speedup > 0 && cur->rank == rl_session_get_rank (self->session);
  if (measured)
    {
      /* Translators: a speed-up factor, e.g. "2.85×" */
      g_autofree char *text = g_strdup_printf (_("%.2f×"), cur->speedup);
      g_autofree char *help =
        g_strdup_printf (_("Measured %.2f× against a FLOP ratio of %.2f×. A speed-up can "
                           "never exceed the FLOP ratio: the factored layers do fewer "
                           "multiply-adds, but two skinny products run further from the "
                           "processor's peak than one square one, and the biases, "
                           "activations and memory traffic do not shrink with the rank."),
                         cur->speedup, flop_ratio);

      gtk_label_set_text (self->speedup_value, text);
      gtk_label_set_text (self->cost_help, help);
    }
  else
    {
      gtk_label_set_text (self->speedup_value,
                          rl_session_get_evaluating (self->session) ? _("measuring…") : "–");
      gtk_label_set_text (self->cost_help,
                          _("A speed-up can never exceed the FLOP ratio: the measured figure "
                            "appears here once the main window has timed this rank."));
    }
}

static void
batch_changed_cb (RlExplorerWindow *self)
{
  _rl_explorer_update_cost (self);
}

void
_rl_explorer_cost_init (RlExplorerWindow *self)
{
  fill_example (self);
  g_signal_connect_object (self->batch_adjustment, "value-changed",
                           G_CALLBACK (batch_changed_cb), self, G_CONNECT_SWAPPED);
}
