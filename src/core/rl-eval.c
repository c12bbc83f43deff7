/* rl-eval.c — accuracy, latency and the rank sweep. */
#include "config.h"

#include <string.h>

#include "rl-error.h"
#include "rl-eval.h"

/* Images per forward call when scoring: large enough for sgemm to run at
 * full speed, small enough that the output buffer stays modest. */
#define EVAL_CHUNK 2048u

void
rl_eval_accuracy (const RlModel   *model,
                  const RlDataset *ds,
                  RlWorkspace     *ws,
                  RlAccuracy      *out)
{
  g_autoptr(RlWorkspace) own_ws = NULL;
  g_autofree float *scores = NULL;
  guint n_out, in;

  g_return_if_fail (model != NULL && ds != NULL && out != NULL);

  memset (out, 0, sizeof *out);
  out->n = ds->n;
  if (ds->n == 0)
    return;

  if (ws == NULL)
    ws = own_ws = rl_workspace_new ();

  n_out = rl_model_output_size (model);
  in = rl_model_input_size (model);
  g_return_if_fail (in == ds->rows * ds->cols);
  scores = g_new (float, (gsize) EVAL_CHUNK * n_out);

  for (guint start = 0; start < ds->n; start += EVAL_CHUNK)
    {
      guint count = MIN (EVAL_CHUNK, ds->n - start);

      rl_model_forward (model, ds->images + (gsize) start * in, count, scores, ws);
      for (guint i = 0; i < count; i++)
        {
          guint pred = rl_argmax (scores + (gsize) i * n_out, n_out);
          guint truth = ds->labels[start + i];

          if (pred == truth)
            out->correct++;
          if (truth < 10 && pred < 10)
            out->confusion[truth][pred]++;
        }
    }

  out->accuracy = (double) out->correct / ds->n;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

void
rl_eval_latency (const RlModel   *model,
                 const RlDataset *ds,
                 guint            warmup,
                 guint            repeats,
                 RlWorkspace     *ws,
                 RlLatency       *out)
{
  rl_eval_latency_turns (&model, 1, ds, warmup, repeats, ws, NULL, out);
}

gboolean
rl_eval_latency_turns (const RlModel *const *models,
                       guint                 n_models,
                       const RlDataset      *ds,
                       guint                 warmup,
                       guint                 repeats,
                       RlWorkspace          *ws,
                       GCancellable         *cancellable,
                       RlLatency            *out)
{
  g_autoptr(RlWorkspace) own_ws = NULL;
  g_autofree float *scores = NULL;
  g_autofree double *times = NULL;
  guint n_out = 0;

  g_return_val_if_fail (models != NULL && n_models >= 1 && ds != NULL && out != NULL, FALSE);

  repeats = MAX (repeats, 1);
  for (guint k = 0; k < n_models; k++)
    {
      g_return_val_if_fail (models[k] != NULL, FALSE);
      n_out = MAX (n_out, rl_model_output_size (models[k]));
      memset (&out[k], 0, sizeof out[k]);
      out[k].repeats = repeats;
      out[k].warmup = warmup;
      out[k].threads = rl_core_get_blas_threads ();
      out[k].batch = ds->n;
    }

  if (ws == NULL)
    ws = own_ws = rl_workspace_new ();
  scores = g_new (float, (gsize) MAX (ds->n, 1) * n_out);
  times = g_new (double, (gsize) n_models * repeats);

  for (guint i = 0; i < warmup + repeats; i++)
    for (guint k = 0; k < n_models; k++)
      {
        double t0;

        if (g_cancellable_is_cancelled (cancellable))
          return FALSE;
        t0 = rl_now ();
        rl_model_forward (models[k], ds->images, ds->n, scores, ws);
        if (i >= warmup)
          times[(gsize) k * repeats + i - warmup] = rl_now () - t0;
      }

  for (guint k = 0; k < n_models; k++)
    {
      double *t = times + (gsize) k * repeats;

      qsort (t, repeats, sizeof (double), compare_double);
      out[k].min_s = t[0];
      out[k].median_s = (repeats % 2 == 1) ? t[repeats / 2]
                                           : 0.5 * (t[repeats / 2 - 1] + t[repeats / 2]);
    }
  return TRUE;
}

static void
fill_row (RlSweepRow       *row,
          guint             rank,
          const RlModel    *model,
          const RlDataset  *test,
          guint             repeats,
          RlWorkspace      *ws,
          const RlSweepRow *original)
{
  RlAccuracy acc;
  RlLatency lat;

  rl_eval_accuracy (model, test, ws, &acc);
  rl_eval_latency (model, test, 1, repeats, ws, &lat);

  row->rank = rank;
  row->accuracy = acc.accuracy;
  row->latency_s = lat.median_s;
  row->params = rl_model_param_count (model);
  row->memory_mb = rl_model_memory_mb (model);
  row->macs = rl_model_macs (model);

  if (original == NULL)
    original = row;
  row->speedup = row->latency_s > 0 ? original->latency_s / row->latency_s : 0;
  row->memory_saving_pct = 100.0 * (1.0 - (double) row->params / original->params);
  row->flop_ratio = (double) original->macs / row->macs;
}

GArray *
rl_sweep (const RlModel   *dense,
          const RlSvd     *svd,
          const RlDataset *test,
          const guint     *ranks,
          guint            n_ranks,
          RlPlanMode       mode,
          guint            repeats,
          GCancellable    *cancellable,
          RlProgressFunc   progress,
          gpointer         user_data,
          GError         **error)
{
  g_autoptr(GArray) rows = g_array_sized_new (FALSE, TRUE, sizeof (RlSweepRow), n_ranks + 1);
  g_autoptr(RlWorkspace) ws = rl_workspace_new ();
  RlSweepRow row = { 0 };

  g_return_val_if_fail (dense != NULL && svd != NULL && test != NULL, NULL);
  g_return_val_if_fail (ranks != NULL || n_ranks == 0, NULL);

  if (rl_model_input_size (dense) != test->rows * test->cols)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "the model takes %u inputs but the images have %u×%u pixels",
                   rl_model_input_size (dense), test->rows, test->cols);
      return NULL;
    }

  if (progress != NULL)
    progress (0.0, "original", user_data);
  fill_row (&row, 0, dense, test, repeats, ws, NULL);
  g_array_append_val (rows, row);

  for (guint i = 0; i < n_ranks; i++)
    {
      g_autoptr(RlPlan) plan = NULL;
      g_autoptr(RlModel) compressed = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      if (ranks[i] == 0)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "rank 0 is not a rank (ranks start at 1)");
          return NULL;
        }

      plan = rl_plan_uniform (dense, ranks[i], mode);
      compressed = rl_compress (dense, svd, plan, error);
      if (compressed == NULL)
        return NULL;

      memset (&row, 0, sizeof row);
      fill_row (&row, ranks[i], compressed, test, repeats, ws,
                &g_array_index (rows, RlSweepRow, 0));
      g_array_append_val (rows, row);

      if (progress != NULL)
        progress ((double) (i + 1) / n_ranks, "rank", user_data);
    }

  return g_steal_pointer (&rows);
}

char *
rl_sweep_to_csv (GArray *rows)
{
  GString *csv = g_string_new ("rank,accuracy,latency_s,speedup,params,memory_mb,memory_saving_pct\n");

  g_return_val_if_fail (rows != NULL, NULL);

  for (guint i = 0; i < rows->len; i++)
    {
      const RlSweepRow *r = &g_array_index (rows, RlSweepRow, i);
      char acc[G_ASCII_DTOSTR_BUF_SIZE], lat[G_ASCII_DTOSTR_BUF_SIZE];
      char spd[G_ASCII_DTOSTR_BUF_SIZE], mem[G_ASCII_DTOSTR_BUF_SIZE];
      char sav[G_ASCII_DTOSTR_BUF_SIZE];

      /* Locale-independent numbers: a CSV must not depend on LC_NUMERIC. */
      g_ascii_formatd (acc, sizeof acc, "%.4f", r->accuracy);
      g_ascii_formatd (lat, sizeof lat, "%.6f", r->latency_s);
      g_ascii_formatd (spd, sizeof spd, "%.3f", r->speedup);
      g_ascii_formatd (mem, sizeof mem, "%.4f", r->memory_mb);
      g_ascii_formatd (sav, sizeof sav, "%.2f", r->memory_saving_pct);

      if (r->rank == 0)
        g_string_append (csv, "original");
      else
        g_string_append_printf (csv, "%u", r->rank);
      g_string_append_printf (csv, ",%s,%s,%s,%" G_GUINT64_FORMAT ",%s,%s\n",
                              acc, lat, spd, r->params, mem, sav);
    }

  return g_string_free (csv, FALSE);
}
