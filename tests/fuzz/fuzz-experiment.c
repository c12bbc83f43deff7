/* fuzz-experiment.c — libFuzzer target for experiment files
 * (rl-experiment.c over json-glib).
 *
 * Each input is loaded as a file (rl_experiment_load: size ceiling, UTF-8,
 * strict keys), and whatever loads is checked against a fixed small model
 * (sizes 6,5,4,3) and turned into a plan; every plan must fit the model.
 * Then the experiment must survive a round trip: to_json, parse, to_json
 * gives the same text. */
#include "fuzz-common.h"

#include <string.h>

#include "rl-experiment.h"
#include "rl-model.h"
#include "rl-plan.h"
#include "rl-svd.h"

static FuzzFile input_file;
static RlModel *model;
static RlSvd *svd;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  static const guint sizes[] = { 6, 5, 4, 3 };
  g_autoptr(GError) error = NULL;

  fuzz_common_init ();
  fuzz_file_init (&input_file, "fuzz-experiment-input");
  model = rl_model_new (sizes, G_N_ELEMENTS (sizes), &error);
  if (model == NULL)
    {
      fprintf (stderr, "rl_model_new: %s\n", error->message);
      abort ();
    }
  for (guint l = 0; l < model->n_layers; l++)
    {
      RlLayer *layer = &model->layers[l];

      for (gsize i = 0; i < (gsize) layer->in * layer->out; i++)
        layer->w[i] = (float) ((int) ((i * 5 + l) % 13) - 6) / 7.0f;
      for (guint j = 0; j < layer->out; j++)
        layer->bias[j] = (float) j / 8.0f;
    }
  svd = rl_svd_compute (model, NULL, NULL, NULL, &error);
  if (svd == NULL)
    {
      fprintf (stderr, "rl_svd_compute: %s\n", error->message);
      abort ();
    }
  if (g_getenv ("RL_FUZZ_PRINT_HASH"))
    {
      g_autofree char *hash = rl_model_weights_hash (model);
      printf ("%s\n", hash);
    }
  return 0;
}

static void
check_plan (const RlExperiment *exp)
{
  g_autoptr(GError) error = NULL;
  RlPlan *plan;

  plan = rl_experiment_build_plan (exp, model, svd, NULL, NULL, NULL, NULL, &error);
  if (plan == NULL)
    {
      FUZZ_CHECK_ERROR (error);
      return;
    }
  FUZZ_CHECK (plan->n_layers == model->n_layers, "plan of %u layers", plan->n_layers);
  for (guint l = 0; l < plan->n_layers; l++)
    {
      const RlLayer *layer = &model->layers[l];

      FUZZ_CHECK (plan->ranks[l] <= MIN (layer->in, layer->out),
                  "layer %u: rank %u over min(%u, %u)", l, plan->ranks[l], layer->in, layer->out);
    }
  rl_plan_free (plan);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlExperiment) exp = NULL;
  g_autoptr(RlExperiment) again = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json_again = NULL;

  fuzz_file_set (&input_file, data, size);
  exp = rl_experiment_load (input_file.path, &error);
  if (exp == NULL)
    {
      FUZZ_CHECK_ERROR (error);
      return 0;
    }

  {
    g_autofree char *path = rl_experiment_model_path (exp);

    FUZZ_CHECK (path != NULL && path[0] != '\0', "no model path");
  }
  if (rl_experiment_check_model (exp, model, &error))
    check_plan (exp);
  else
    FUZZ_CHECK_ERROR (error);
  g_clear_error (&error);

  json = rl_experiment_to_json (exp);
  FUZZ_CHECK (json != NULL && g_utf8_validate (json, -1, NULL), "to_json gave no UTF-8 text");
  again = rl_experiment_parse (json, -1, NULL, &error);
  FUZZ_CHECK (again != NULL, "written experiment does not parse back: %s\n%s",
              error ? error->message : "?", json);
  json_again = rl_experiment_to_json (again);
  FUZZ_CHECK (strcmp (json, json_again) == 0, "round trip changed the text:\n%s\n%s", json, json_again);
  return 0;
}
