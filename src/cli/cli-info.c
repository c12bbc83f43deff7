/* cli-info.c — `ranklab-cli info`: layers, sizes and singular values. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli-common.h"

static const guint energy_ranks[] = { 10, 25, 50, 100 };

int
cli_info (int    argc,
          char **argv)
{
  g_autofree char *model_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- layers, shapes, parameters and singular values");
  g_autoptr(RlModel) model = NULL;
  g_autofree char *params = NULL, *macs = NULL;
  g_autoptr(GList) keys = NULL;
  g_autoptr(RlModel) dense = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model file", "MODEL" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;
  if (model_path == NULL)
    return cli_fail ("info: --model MODEL is required");

  model = rl_model_load (model_path, &error);
  if (model == NULL)
    return cli_fail_error ("info", error);

  dense = rl_model_densify (model);
  params = cli_group_thousands (rl_model_param_count (model));
  printf ("Model %s\n", model_path);
  macs = cli_group_thousands (rl_model_macs (model));
  printf ("  parameters %s, multiply-adds per image %s, memory %.3f MB (float32)\n",
          params, macs, rl_model_memory_mb (model));

  keys = g_list_sort (g_hash_table_get_keys (model->meta), (GCompareFunc) g_strcmp0);
  for (GList *k = keys; k != NULL; k = k->next)
    {
      g_autofree char *key = cli_printable (k->data, 200);
      g_autofree char *value = cli_printable (g_hash_table_lookup (model->meta, k->data), 200);

      printf ("  %s: %s\n", key, value);
    }

  printf ("\n%-5s %-12s %-9s %-10s %10s %12s %12s", "layer", "shape", "act", "stored", "break-even", "sigma_1", "sigma_min");
  for (guint j = 0; j < G_N_ELEMENTS (energy_ranks); j++)
    printf ("   E@%-4u", energy_ranks[j]);
  printf ("\n");

  for (guint i = 0; i < model->n_layers; i++)
    {
      const RlLayer *l = &model->layers[i];
      const float *w = dense->layers[i].w;
      g_autofree char *shape = g_strdup_printf ("%ux%u", l->in, l->out);
      g_autofree char *stored = l->rank ? g_strdup_printf ("rank %u", l->rank) : g_strdup ("dense");
      RlLayerSvd svd = { 0 };
      const char *act = l->act == RL_ACT_RELU ? "relu" : l->act == RL_ACT_SIGMOID ? "sigmoid" : "linear";

      if (!rl_layer_svd_compute (w, l->in, l->out, &svd, &error))
        return cli_fail_error ("info", error);

      printf ("%-5u %-12s %-9s %-10s %10.1f %12.6g %12.6g", i, shape, act, stored,
              rl_layer_break_even (l->in, l->out), svd.s[0], svd.s[svd.k - 1]);
      for (guint j = 0; j < G_N_ELEMENTS (energy_ranks); j++)
        printf (" %7.2f%%", 100.0 * rl_svd_energy (&svd, energy_ranks[j]));
      printf ("\n");
      rl_layer_svd_clear (&svd);
    }
  printf ("\nE@r: share of the layer's energy (sum of squared singular values) kept at rank r.\n");
  return 0;
}
