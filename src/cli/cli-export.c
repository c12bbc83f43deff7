/* cli-export.c — `ranklab-cli export`: the model truncated to a rank plan,
 * saved for use elsewhere: safetensors (RankLab, Python's safetensors) or a
 * NumPy .npz (numpy.load), chosen by OUT's extension. */
#include "config.h"

#include <stdio.h>

#include "cli-common.h"
#include "rl-npz.h"

int
cli_export (int    argc,
            char **argv)
{
  g_autofree char *model_path = NULL, *plan_name = NULL;
  gint rank = CLI_UNSET;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("OUT.safetensors|OUT.npz - save the model truncated to a rank");
  g_autoptr(RlModel) model = NULL;
  g_autoptr(RlModel) compressed = NULL;
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(RlPlan) plan = NULL;
  g_autofree char *ranks_text = NULL;
  g_autofree char *params_text = NULL;
  RlPlanMode mode = RL_PLAN_PAPER;
  const char *out;
  gboolean npz;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model file", "MODEL" },
    { "rank", 'r', 0, G_OPTION_ARG_INT, &rank, "Truncate every layer to this rank (required)", "R" },
    { "plan", 'p', 0, G_OPTION_ARG_STRING, &plan_name, "paper (every layer factored, default) or auto", "PLAN" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;

  if (model_path == NULL)
    return cli_fail ("export: --model MODEL is required");
  if (rank == CLI_UNSET)
    return cli_fail ("export: --rank R is required");
  if (argc != 2)
    return cli_fail ("export: give exactly one output file (.safetensors or .npz)");
  out = argv[1];
  npz = g_str_has_suffix (out, ".npz") || g_str_has_suffix (out, ".NPZ");
  if (!npz && !g_str_has_suffix (out, ".safetensors"))
    return cli_fail ("export: '%s' ends neither in .safetensors nor in .npz", out);
  if (plan_name != NULL && !rl_plan_mode_from_string (plan_name, &mode))
    return cli_fail ("export: unknown plan '%s' (use paper or auto)", plan_name);
  if (!cli_check_range ("--rank", rank, 1, RL_MODEL_MAX_WIDTH, &error)
      || !cli_check_writable ("output", out, &error))
    return cli_fail_error ("export", error);

  model = rl_model_load (model_path, &error);
  if (model == NULL)
    return cli_fail_error ("export", error);
  if (rl_model_is_factored (model))
    return cli_fail ("export: %s is already factored; export from its dense model", model_path);

  svd = cli_get_svd (model, TRUE, &error);
  if (svd == NULL)
    return cli_fail_error ("export", error);
  plan = rl_plan_uniform (model, (guint) rank, mode);
  compressed = rl_compress (model, svd, plan, &error);
  if (compressed == NULL)
    return cli_fail_error ("export", error);

  if (!(npz ? rl_npz_save_model (compressed, out, &error) : rl_model_save (compressed, out, &error)))
    return cli_fail_error ("export", error);

  ranks_text = cli_plan_ranks_text (plan);
  params_text = cli_group_thousands (rl_model_param_count (compressed));
  printf ("Wrote %s: ranks %s, %s parameters\n", out, ranks_text, params_text);
  return 0;
}
