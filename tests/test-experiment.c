/* test-experiment.c — experiment files: round trips and strict refusals.
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "rl-core.h"
#include "rl-json.h"

static char *tmp_dir;

static const guint tiny_sizes[] = { 20, 16, 12, 4 };

static RlModel *
tiny_model (void)
{
  g_autoptr(GError) error = NULL;
  RlModel *model = rl_model_new (tiny_sizes, G_N_ELEMENTS (tiny_sizes), &error);

  g_assert_no_error (error);
  rl_model_init_weights (model, RL_INIT_HE_UNIFORM, 17);
  return model;
}

static void
assert_same (const RlExperiment *a,
             const RlExperiment *b)
{
  g_assert_cmpstr (a->model, ==, b->model);
  g_assert_cmpstr (a->model_hash, ==, b->model_hash);
  g_assert_cmpstr (a->description, ==, b->description);
  g_assert_cmpint (a->kind, ==, b->kind);
  if (a->kind == RL_EXPERIMENT_UNIFORM)
    g_assert_cmpuint (a->rank, ==, b->rank);
  if (a->kind == RL_EXPERIMENT_ENERGY)
    g_assert_true (a->energy == b->energy);   /* bit for bit */
  if (a->kind == RL_EXPERIMENT_BUDGET)
    g_assert_cmpuint (a->budget, ==, b->budget);
  g_assert_cmpuint (a->n_ranks, ==, b->n_ranks);
  if (a->n_ranks > 0)
    g_assert_cmpmem (a->ranks, a->n_ranks * sizeof (guint), b->ranks, b->n_ranks * sizeof (guint));
  g_assert_cmpint (a->auto_mode, ==, b->auto_mode);
  g_assert_cmpuint (a->seed, ==, b->seed);
  g_assert_cmpuint (a->finetune_epochs, ==, b->finetune_epochs);
  g_assert_cmpint (a->has_results, ==, b->has_results);
  if (a->has_results)
    {
      const RlExperimentResults *x = &a->results, *y = &b->results;

      g_assert_true (x->accuracy == y->accuracy || (isnan (x->accuracy) && isnan (y->accuracy)));
      g_assert_true (x->latency_s == y->latency_s || (isnan (x->latency_s) && isnan (y->latency_s)));
      g_assert_true (x->memory_mb == y->memory_mb || (isnan (x->memory_mb) && isnan (y->memory_mb)));
      g_assert_true (isnan (x->speedup) == isnan (y->speedup));
      g_assert_cmpint (x->params, ==, y->params);
      g_assert_cmpint (x->macs, ==, y->macs);
      g_assert_cmpint (x->original_params, ==, y->original_params);
    }
}

/* Save, load, compare; and the reloaded file serialises to the same text. */
static RlExperiment *
round_trip (const RlExperiment *exp,
            const char         *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  g_autofree char *text1 = NULL, *text2 = NULL;
  RlExperiment *back;

  g_assert_true (rl_experiment_save (exp, path, &error));
  g_assert_no_error (error);
  back = rl_experiment_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  assert_same (exp, back);
  g_assert_cmpstr (back->base_dir, ==, tmp_dir);

  text1 = rl_experiment_to_json (exp);
  text2 = rl_experiment_to_json (back);
  g_assert_cmpstr (text1, ==, text2);
  return back;
}

static void
test_round_trip (void)
{
  const guint ranks[] = { 7, 0, 3 };
  g_autoptr(RlExperiment) exp = rl_experiment_new ("models/m.safetensors");

  /* uniform */
  exp->rank = 25;
  exp->seed = 1234567890123ull;
  rl_experiment_free (round_trip (exp, "uniform.json"));

  /* per-layer, with a hash, a description (quotes, newline, non-ASCII) and
   * AUTO mode */
  exp->kind = RL_EXPERIMENT_PER_LAYER;
  exp->n_ranks = G_N_ELEMENTS (ranks);
  exp->ranks = g_memdup2 (ranks, sizeof ranks);
  exp->model_hash = g_strdup ("ab12");
  exp->description = g_strdup ("\"rank\" plan\nσ₁ — test");
  exp->auto_mode = TRUE;
  exp->finetune_epochs = 3;
  rl_experiment_free (round_trip (exp, "per-layer.json"));

  /* energy: a fraction with no short decimal form, and resolved ranks */
  exp->kind = RL_EXPERIMENT_ENERGY;
  exp->energy = 0.1 + 0.2;   /* 0.30000000000000004 */
  rl_experiment_free (round_trip (exp, "energy.json"));
  exp->energy = 1.0;         /* written as 1, read back as a number */
  rl_experiment_free (round_trip (exp, "energy-1.json"));

  /* energy without resolved ranks */
  g_clear_pointer (&exp->ranks, g_free);
  exp->n_ranks = 0;
  exp->energy = 0.9;
  rl_experiment_free (round_trip (exp, "energy-plain.json"));

  /* budget, with results */
  exp->kind = RL_EXPERIMENT_BUDGET;
  exp->budget = 107466;
  exp->auto_mode = FALSE;
  exp->has_results = TRUE;
  exp->results.accuracy = 0.9724;
  exp->results.latency_s = 1.0 / 3.0;
  exp->results.memory_mb = 107466 * 4.0 / 1048576.0;
  exp->results.params = 107178;
  exp->results.macs = 105372;
  rl_experiment_free (round_trip (exp, "budget.json"));
}

static void
test_model_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlExperiment) rel = NULL, abs = NULL;
  g_autofree char *path = NULL;
  const char *json =
    "{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m.safetensors\","
    "\"plan\":{\"mode\":\"uniform\",\"rank\":5}}";

  rel = rl_experiment_parse (json, -1, "/some/dir", &error);
  g_assert_no_error (error);
  path = rl_experiment_model_path (rel);
  g_assert_cmpstr (path, ==, "/some/dir/m.safetensors");
  /* The defaults of the optional fields. */
  g_assert_cmpuint (rel->seed, ==, 42);
  g_assert_cmpuint (rel->finetune_epochs, ==, 0);
  g_assert_false (rel->auto_mode);
  g_assert_false (rel->has_results);
  g_assert_null (rel->model_hash);
  g_assert_cmpint (rl_experiment_plan_mode (rel), ==, RL_PLAN_PAPER);

  abs = rl_experiment_parse ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"/m/x\","
                             "\"plan\":{\"mode\":\"uniform\",\"rank\":5,\"auto\":true}}", -1, "/else", &error);
  g_assert_no_error (error);
  g_clear_pointer (&path, g_free);
  path = rl_experiment_model_path (abs);
  g_assert_cmpstr (path, ==, "/m/x");
  g_assert_cmpint (rl_experiment_plan_mode (abs), ==, RL_PLAN_AUTO);
}

/* Each bad document: the error code and the key its message must name. */
typedef struct
{
  const char *plan;     /* the plan object, or NULL for the default */
  const char *extra;    /* more root members (leading comma), or "" */
  int         code;
  const char *named;
} BadCase;

static void
check_bad (const char *json,
           int         code,
           const char *named)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlExperiment) exp = rl_experiment_parse (json, -1, NULL, &error);

  if (exp != NULL || error == NULL)
    g_error ("accepted: %s", json);
  g_assert_error (error, RL_ERROR, code);
  if (strstr (error->message, named) == NULL)
    g_error ("'%s' does not name '%s' for %s", error->message, named, json);
}

static void
test_refusals (void)
{
  const BadCase cases[] = {
    /* unknown keys, at every level */
    { NULL, ",\"colour\":1", RL_ERROR_FORMAT, "'colour'" },
    { "{\"mode\":\"uniform\",\"rank\":5,\"step\":2}", "", RL_ERROR_FORMAT, "'plan.step'" },
    { NULL, ",\"results\":{\"acc\":0.9}", RL_ERROR_FORMAT, "'results.acc'" },
    /* missing fields */
    { "{\"rank\":5}", "", RL_ERROR_FORMAT, "'plan.mode'" },
    { "{\"mode\":\"uniform\"}", "", RL_ERROR_FORMAT, "'plan.rank'" },
    { "{\"mode\":\"per-layer\"}", "", RL_ERROR_FORMAT, "'plan.ranks'" },
    { "{\"mode\":\"energy\"}", "", RL_ERROR_FORMAT, "'plan.energy'" },
    { "{\"mode\":\"budget\",\"ranks\":[1,2,3]}", "", RL_ERROR_FORMAT, "'plan.budget'" },
    /* wrong types */
    { "{\"mode\":\"uniform\",\"rank\":2.5}", "", RL_ERROR_FORMAT, "'plan.rank'" },
    { "{\"mode\":\"uniform\",\"rank\":\"25\"}", "", RL_ERROR_FORMAT, "'plan.rank'" },
    { "{\"mode\":\"energy\",\"energy\":\"0.9\"}", "", RL_ERROR_FORMAT, "'plan.energy'" },
    { "{\"mode\":\"per-layer\",\"ranks\":[1,\"a\",3]}", "", RL_ERROR_FORMAT, "'plan.ranks[1]'" },
    { "{\"mode\":\"per-layer\",\"ranks\":5}", "", RL_ERROR_FORMAT, "'plan.ranks'" },
    { "{\"mode\":\"uniform\",\"rank\":5,\"auto\":1}", "", RL_ERROR_FORMAT, "'plan.auto'" },
    { "[]", "", RL_ERROR_FORMAT, "'plan'" },
    { NULL, ",\"seed\":\"42\"", RL_ERROR_FORMAT, "'seed'" },
    { NULL, ",\"results\":{\"params\":1.5}", RL_ERROR_FORMAT, "'results.params'" },
    { NULL, ",\"results\":[]", RL_ERROR_FORMAT, "'results'" },
    { NULL, ",\"model_hash\":null", RL_ERROR_FORMAT, "'model_hash'" },
    /* absurd values */
    { "{\"mode\":\"uniform\",\"rank\":0}", "", RL_ERROR_INVALID, "'plan.rank'" },
    { "{\"mode\":\"uniform\",\"rank\":-3}", "", RL_ERROR_INVALID, "'plan.rank'" },
    { "{\"mode\":\"energy\",\"energy\":0}", "", RL_ERROR_INVALID, "'plan.energy'" },
    { "{\"mode\":\"energy\",\"energy\":1.5}", "", RL_ERROR_INVALID, "'plan.energy'" },
    { "{\"mode\":\"energy\",\"energy\":-0.2}", "", RL_ERROR_INVALID, "'plan.energy'" },
    { "{\"mode\":\"budget\",\"budget\":0}", "", RL_ERROR_INVALID, "'plan.budget'" },
    { "{\"mode\":\"per-layer\",\"ranks\":[]}", "", RL_ERROR_INVALID, "'plan.ranks'" },
    { "{\"mode\":\"per-layer\",\"ranks\":[1,99999999,3]}", "", RL_ERROR_INVALID, "'plan.ranks[1]'" },
    { "{\"mode\":\"sideways\",\"rank\":5}", "", RL_ERROR_INVALID, "'plan.mode'" },
    { "{\"mode\":\"uniform\",\"rank\":5,\"energy\":0.9}", "", RL_ERROR_INVALID, "'plan.energy'" },
    { "{\"mode\":\"energy\",\"energy\":0.9,\"budget\":100}", "", RL_ERROR_INVALID, "'plan.budget'" },
    { "{\"mode\":\"uniform\",\"rank\":5,\"ranks\":[5]}", "", RL_ERROR_INVALID, "'plan.ranks'" },
    { NULL, ",\"finetune_epochs\":5000", RL_ERROR_INVALID, "'finetune_epochs'" },
    { NULL, ",\"seed\":-1", RL_ERROR_INVALID, "'seed'" },
    { NULL, ",\"results\":{\"accuracy\":-0.5}", RL_ERROR_INVALID, "'results.accuracy'" },
    { NULL, ",\"results\":{\"original_accuracy\":296}", RL_ERROR_INVALID, "'results.original_accuracy'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m.safetensors\",\"plan\":%s%s}",
        cases[i].plan ? cases[i].plan : "{\"mode\":\"uniform\",\"rank\":5}", cases[i].extra);

      check_bad (json, cases[i].code, cases[i].named);
    }

  /* Root-level fields */
  check_bad ("{\"version\":1,\"model\":\"m\",\"plan\":{\"mode\":\"uniform\",\"rank\":5}}",
             RL_ERROR_FORMAT, "'format'");
  check_bad ("{\"format\":\"ranklab-mlp\",\"version\":1,\"model\":\"m\",\"plan\":{\"mode\":\"uniform\",\"rank\":5}}",
             RL_ERROR_FORMAT, "'format'");
  check_bad ("{\"format\":\"ranklab-experiment\",\"model\":\"m\",\"plan\":{\"mode\":\"uniform\",\"rank\":5}}",
             RL_ERROR_FORMAT, "'version'");
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":2,\"model\":\"m\",\"plan\":{\"mode\":\"uniform\",\"rank\":5}}",
             RL_ERROR_INVALID, "'version'");
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":1,\"plan\":{\"mode\":\"uniform\",\"rank\":5}}",
             RL_ERROR_FORMAT, "'model'");
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"\",\"plan\":{\"mode\":\"uniform\",\"rank\":5}}",
             RL_ERROR_INVALID, "'model'");
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m\"}", RL_ERROR_FORMAT, "'plan'");
  check_bad ("[1,2]", RL_ERROR_FORMAT, "object");
  check_bad ("{\"format\":", RL_ERROR_FORMAT, "JSON");
  check_bad ("", RL_ERROR_FORMAT, "JSON");
  /* json-glib 1.6 would take (and leak) a second top-level value. */
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m\","
             "\"plan\":{\"mode\":\"uniform\",\"rank\":5}} []", RL_ERROR_FORMAT, "one JSON object");
  check_bad ("3{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m\","
             "\"plan\":{\"mode\":\"uniform\",\"rank\":5}}", RL_ERROR_FORMAT, "one JSON object");
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m\xff\","
             "\"plan\":{\"mode\":\"uniform\",\"rank\":5}}", RL_ERROR_FORMAT, "UTF-8");
  /* json-glib 1.6 turns the escape \600 into a byte that is not UTF-8; it is
   * not JSON, and refused before json-glib sees it (byte 72 is the backslash). */
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m\","
             "\"description\":\"pe\\600e9\",\"plan\":{\"mode\":\"uniform\",\"rank\":5}}",
             RL_ERROR_FORMAT, "escape in a JSON string at byte 72");
  /* A bracket closed by the wrong kind hid a second object from the
   * structure check; json-glib 1.6 took the text and leaked the second
   * object (regressions/experiment/leak-936f47d5…). */
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m\","
             "\"plan\":{\"mode\":\"uniform\",\"rank\":5,[\"x\":1}}{\"a\":1}", RL_ERROR_FORMAT, "one JSON object");
  g_assert_false (rl_json_is_one_object ("{\"a\":[1}", 8));
  g_assert_false (rl_json_is_one_object ("{\"a\":{\"b\":1]}", 13));
  g_assert_true (rl_json_is_one_object ("{\"a\":[{},[]]} ", 14));
  /* json-glib keeps the last of duplicate keys: "rank":25,"rank":5 ran rank 5. */
  check_bad ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m\","
             "\"plan\":{\"mode\":\"uniform\",\"rank\":25,\"rank\":5}}", RL_ERROR_FORMAT, "'rank' appears twice");
  /* Escapes json-glib 1.6 gets wrong: a lone surrogate makes it swallow the
   * text after it (and leak), \uzzzz and \x it accepts, \u0000 cuts a name. */
  static const char *const bad_strings[] = {
    "\"d\\ud800\"", "\"d\\udc00x\"", "\"d\\ud800\\u0041\"", "\"d\\uzzzz\"", "\"d\\x41\"",
    "\"d\\u0000\"", "\"d\\u12\"", "\"d\tx\"", "\"d\\",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad_strings); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"format\":\"ranklab-experiment\",\"version\":1,\"model\":\"m\","
                                               "\"description\":%s,\"plan\":{\"mode\":\"uniform\",\"rank\":5}}",
                                               bad_strings[i]);

      check_bad (json, RL_ERROR_FORMAT, "escape in a JSON string at byte 71");
    }
}

/* json-glib parses recursively: 100,000 levels (a 600 KB file, under the
 * 1 MB ceiling) overflowed the stack. Refused by depth before parsing. */
static void
test_deep_nesting (void)
{
  for (guint depth = RL_JSON_MAX_DEPTH + 1; depth <= 100000; depth *= 40)
    {
      GString *json = g_string_new (NULL);
      g_autofree char *text = NULL;

      for (guint i = 0; i < depth; i++)
        g_string_append (json, "{\"a\":");
      g_string_append (json, "1");
      for (guint i = 0; i < depth; i++)
        g_string_append_c (json, '}');
      text = g_string_free (json, FALSE);
      check_bad (text, RL_ERROR_FORMAT, "nested more than 64 deep");
    }
  /* Depth counts arrays too, and not brackets inside strings. */
  g_assert_cmpuint (rl_json_depth ("{\"a\":[[1],{\"b\":\"[[[[\"}]}", 25), ==, 3);
}

static void
test_json_strings (void)
{
  gsize bad = 0;

  /* Strict JSON strings pass, whatever else the text holds. */
  g_assert_true (rl_json_strings_valid ("{\"a\\ud83d\\ude00\":\"\\u00e9\\n\\\"\\/\"}", 32, NULL));
  g_assert_true (rl_json_strings_valid ("{\"a\":[1,2]}", 11, NULL));
  /* The offset names the offending escape or character. */
  g_assert_false (rl_json_strings_valid ("{\"ab\\ud800\":1}", 14, &bad));
  g_assert_cmpuint (bad, ==, 4);
  g_assert_false (rl_json_strings_valid ("{\"a\":\"x\\ude00\"}", 15, &bad));
  g_assert_cmpuint (bad, ==, 7);
  g_assert_false (rl_json_strings_valid ("{\"a\n\":1}", 8, &bad));
  g_assert_cmpuint (bad, ==, 3);
  /* A high surrogate needs a low one right after it, not another high one. */
  g_assert_false (rl_json_strings_valid ("\"\\ud800\\ud800\"", 14, &bad));
  g_assert_cmpuint (bad, ==, 1);
}

static void
test_load_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (tmp_dir, "nope.json", NULL);
  g_autofree char *bad = g_build_filename (tmp_dir, "bad.json", NULL);

  g_assert_null (rl_experiment_load (missing, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "nope.json"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (bad, "{\"format\":\"ranklab-experiment\",\"version\":1,"
                                      "\"model\":\"m\",\"plan\":{\"mode\":\"uniform\",\"rank\":0}}", -1, NULL));
  g_assert_null (rl_experiment_load (bad, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  /* The file and the key are both named. */
  g_assert_nonnull (strstr (error->message, "bad.json"));
  g_assert_nonnull (strstr (error->message, "'plan.rank'"));
}

static void
test_check_model (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = tiny_model ();
  g_autoptr(RlSvd) svd = rl_svd_compute (model, NULL, NULL, NULL, &error);
  g_autoptr(RlExperiment) exp = rl_experiment_new ("m.safetensors");
  g_autoptr(RlPlan) plan = NULL;
  const guint good[] = { 5, 0, 4 }, too_big[] = { 5, 13, 4 };

  g_assert_no_error (error);

  /* uniform: clamped per layer */
  exp->rank = 13;
  plan = rl_experiment_build_plan (exp, model, svd, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->ranks[0], ==, 13);
  g_assert_cmpuint (plan->ranks[1], ==, 12);
  g_assert_cmpuint (plan->ranks[2], ==, 4);
  g_clear_pointer (&plan, rl_plan_free);

  /* the hash: right, then wrong */
  exp->model_hash = rl_model_weights_hash (model);
  g_assert_true (rl_experiment_check_model (exp, model, &error));
  g_assert_no_error (error);
  exp->model_hash[0] = exp->model_hash[0] == 'a' ? 'b' : 'a';
  g_assert_false (rl_experiment_check_model (exp, model, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "'model_hash'"));
  g_clear_error (&error);
  g_clear_pointer (&exp->model_hash, g_free);

  /* per-layer: exact, 0 = dense; too many ranks; a rank above min(m, n) */
  exp->kind = RL_EXPERIMENT_PER_LAYER;
  exp->n_ranks = 3;
  exp->ranks = g_memdup2 (good, sizeof good);
  plan = rl_experiment_build_plan (exp, model, svd, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (plan->ranks, sizeof good, good, sizeof good);
  g_clear_pointer (&plan, rl_plan_free);
  memcpy (exp->ranks, too_big, sizeof too_big);
  g_assert_false (rl_experiment_check_model (exp, model, &error));
  g_assert_nonnull (strstr (error->message, "'plan.ranks[1]'"));
  g_clear_error (&error);
  exp->n_ranks = 2;
  g_assert_false (rl_experiment_check_model (exp, model, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_SHAPE);
  g_clear_error (&error);

  /* energy: the plan of rl_plan_energy, stored back as resolved ranks */
  g_clear_pointer (&exp->ranks, g_free);
  exp->n_ranks = 0;
  exp->kind = RL_EXPERIMENT_ENERGY;
  exp->energy = 0.8;
  plan = rl_experiment_build_plan (exp, model, svd, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(RlPlan) direct = rl_plan_energy (svd, 0.8, RL_PLAN_PAPER);

    g_assert_cmpmem (plan->ranks, 3 * sizeof (guint), direct->ranks, 3 * sizeof (guint));
  }
  rl_experiment_set_ranks (exp, plan);
  g_assert_cmpuint (exp->n_ranks, ==, 3);
  g_assert_cmpmem (exp->ranks, 3 * sizeof (guint), plan->ranks, 3 * sizeof (guint));
  g_clear_pointer (&plan, rl_plan_free);

  /* budget: below the smallest plan (112); resolved ranks over the budget;
   * no validation set and no ranks */
  g_clear_pointer (&exp->ranks, g_free);
  exp->n_ranks = 0;
  exp->kind = RL_EXPERIMENT_BUDGET;
  exp->budget = 111;
  g_assert_null (rl_experiment_build_plan (exp, model, svd, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "'plan.budget'"));
  g_assert_nonnull (strstr (error->message, "112"));
  g_clear_error (&error);
  exp->budget = 300;
  g_assert_null (rl_experiment_build_plan (exp, model, svd, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);
  exp->n_ranks = 3;
  exp->ranks = g_memdup2 (good, sizeof good);   /* 5·36+16 + 192+12 + 4·16+4 = 468 */
  g_assert_null (rl_experiment_build_plan (exp, model, svd, NULL, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "468"));
  g_clear_error (&error);
  exp->budget = 468;
  plan = rl_experiment_build_plan (exp, model, svd, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rl_plan_param_count (model, plan), ==, 468);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);
  tmp_dir = g_dir_make_tmp ("ranklab-experiment-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/experiment/round-trip", test_round_trip);
  g_test_add_func ("/experiment/model-path", test_model_path);
  g_test_add_func ("/experiment/refusals", test_refusals);
  g_test_add_func ("/experiment/json-strings", test_json_strings);
  g_test_add_func ("/experiment/deep-nesting", test_deep_nesting);
  g_test_add_func ("/experiment/load-errors", test_load_errors);
  g_test_add_func ("/experiment/check-model", test_check_model);

  ret = g_test_run ();
  {
    g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

        g_unlink (path);
      }
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);
  return ret;
}
