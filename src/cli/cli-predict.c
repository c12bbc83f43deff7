/* cli-predict.c — `ranklab-cli predict`: classify an image file. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli-common.h"

int
cli_predict (int    argc,
             char **argv)
{
  g_autofree char *model_path = NULL, *plan_name = NULL;
  gint rank = CLI_UNSET;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("IMAGE - classify a digit image (PNG, JPEG, GIF or PGM; any size, either polarity)");
  g_autoptr(RlModel) model = NULL;
  g_autofree float *probs = NULL;
  float input[RL_DIGIT_PIXELS];
  RlPlanMode mode = RL_PLAN_PAPER;
  guint digit, n_out;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model file", "MODEL" },
    { "rank", 'r', 0, G_OPTION_ARG_INT, &rank, "Truncate every layer to this rank first", "R" },
    { "plan", 'p', 0, G_OPTION_ARG_STRING, &plan_name, "paper or auto (with --rank)", "PLAN" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;

  if (model_path == NULL)
    return cli_fail ("predict: --model MODEL is required");
  if (argc != 2)
    return cli_fail ("predict: give exactly one IMAGE file");
  if (plan_name != NULL && !rl_plan_mode_from_string (plan_name, &mode))
    return cli_fail ("predict: unknown plan '%s' (use paper or auto)", plan_name);
  if (rank != CLI_UNSET && !cli_check_range ("--rank", rank, 1, RL_MODEL_MAX_WIDTH, &error))
    return cli_fail_error ("predict", error);

  model = rl_model_load (model_path, &error);
  if (model == NULL)
    return cli_fail_error ("predict", error);
  if (rl_model_input_size (model) != RL_DIGIT_PIXELS)
    return cli_fail ("predict: the model takes %u inputs, not a 28×28 image", rl_model_input_size (model));

  if (!rl_image_load_digit (argv[1], input, &error))
    return cli_fail_error ("predict", error);

  if (rank > 0)
    {
      g_autoptr(RlSvd) svd = cli_get_svd (model, TRUE, &error);
      g_autoptr(RlPlan) plan = NULL;
      RlModel *compressed;

      if (svd == NULL)
        return cli_fail_error ("predict", error);
      plan = rl_plan_uniform (model, (guint) rank, mode);
      compressed = rl_compress (model, svd, plan, &error);
      if (compressed == NULL)
        return cli_fail_error ("predict", error);
      rl_model_free (model);
      model = compressed;
    }

  n_out = rl_model_output_size (model);
  probs = g_new0 (float, n_out);
  digit = rl_model_predict (model, input, probs);
  rl_model_class_probabilities (model, probs, probs);
  for (guint i = 0; i < n_out; i++)
    if (!isfinite (probs[i]))
      return cli_fail ("predict: the model's outputs for this image are not finite numbers "
                       "(its weights overflow float32 arithmetic); no digit can be read from it");

  printf ("%u\n", digit);
  for (guint i = 0; i < n_out; i++)
    printf ("%u %.4f\n", i, probs[i]);
  return 0;
}
