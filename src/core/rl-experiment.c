/* rl-experiment.c — experiment files (see rl-experiment.h), on json-glib.
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "rl-budget.h"
#include "rl-experiment.h"
#include "rl-json.h"
#include "rl-modelfile.h"

static const char *const kind_names[] = { "uniform", "per-layer", "energy", "budget" };

static const char *const root_keys[] = {
  "format", "version", "model", "model_hash", "description", "plan", "seed",
  "finetune_epochs", "results", NULL
};
static const char *const plan_keys[] = { "mode", "rank", "ranks", "energy", "budget", "auto", NULL };

/* The results fields: doubles, then counts (same order as the struct).
 * fraction: an accuracy, in [0, 1]. */
static const struct { const char *key; gsize offset; gboolean count, fraction; } result_fields[] = {
  { "accuracy", G_STRUCT_OFFSET (RlExperimentResults, accuracy), FALSE, TRUE },
  { "accuracy_before_finetune", G_STRUCT_OFFSET (RlExperimentResults, accuracy_before_finetune), FALSE, TRUE },
  { "latency_s", G_STRUCT_OFFSET (RlExperimentResults, latency_s), FALSE, FALSE },
  { "speedup", G_STRUCT_OFFSET (RlExperimentResults, speedup), FALSE, FALSE },
  { "memory_mb", G_STRUCT_OFFSET (RlExperimentResults, memory_mb), FALSE, FALSE },
  { "original_accuracy", G_STRUCT_OFFSET (RlExperimentResults, original_accuracy), FALSE, TRUE },
  { "original_latency_s", G_STRUCT_OFFSET (RlExperimentResults, original_latency_s), FALSE, FALSE },
  { "params", G_STRUCT_OFFSET (RlExperimentResults, params), TRUE, FALSE },
  { "macs", G_STRUCT_OFFSET (RlExperimentResults, macs), TRUE, FALSE },
  { "original_params", G_STRUCT_OFFSET (RlExperimentResults, original_params), TRUE, FALSE },
};

const char *
rl_experiment_kind_to_string (RlExperimentPlanKind kind)
{
  return (guint) kind < G_N_ELEMENTS (kind_names) ? kind_names[kind] : "unknown";
}

gboolean
rl_experiment_kind_from_string (const char           *s,
                                RlExperimentPlanKind *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  for (guint i = 0; s != NULL && i < G_N_ELEMENTS (kind_names); i++)
    if (g_str_equal (s, kind_names[i]))
      {
        *kind = (RlExperimentPlanKind) i;
        return TRUE;
      }
  return FALSE;
}

void
rl_experiment_results_clear (RlExperimentResults *results)
{
  g_return_if_fail (results != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (result_fields); i++)
    {
      gpointer field = G_STRUCT_MEMBER_P (results, result_fields[i].offset);

      if (result_fields[i].count)
        *(gint64 *) field = -1;
      else
        *(double *) field = NAN;
    }
}

RlExperiment *
rl_experiment_new (const char *model)
{
  RlExperiment *exp = g_new0 (RlExperiment, 1);

  exp->model = g_strdup (model != NULL ? model : "");
  exp->kind = RL_EXPERIMENT_UNIFORM;
  exp->rank = 25;
  exp->energy = 0.9;
  exp->seed = 42;
  rl_experiment_results_clear (&exp->results);
  return exp;
}

void
rl_experiment_free (RlExperiment *exp)
{
  if (exp == NULL)
    return;
  g_free (exp->model);
  g_free (exp->model_hash);
  g_free (exp->description);
  g_free (exp->base_dir);
  g_free (exp->ranks);
  g_free (exp);
}

/* ---- reading ----------------------------------------------------------- */

static gboolean
check_keys (JsonObject         *obj,
            const char         *prefix,
            const char *const  *allowed,
            GError            **error)
{
  g_autoptr(GList) members = json_object_get_members (obj);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        /* json-glib 1.6 decodes octal escapes ("\600") into bytes that are not UTF-8 */
        g_autofree char *shown = g_utf8_make_valid (l->data, -1);

        g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "unknown key '%s%s'", prefix, shown);
        return FALSE;
      }
  return TRUE;
}

/* The member, or NULL (and an error when required) if absent. */
static JsonNode *
member (JsonObject  *obj,
        const char  *prefix,
        const char  *key,
        gboolean     required,
        GError     **error)
{
  JsonNode *node = json_object_get_member (obj, key);

  if (node == NULL && required)
    g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "missing required field '%s%s'", prefix, key);
  return node;
}

static gboolean
node_is (JsonNode *node,
         GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
read_int (JsonNode    *node,
          const char  *prefix,
          const char  *key,
          gint64       min,
          gint64       max,
          gint64      *out,
          GError     **error)
{
  gint64 v;

  if (!node_is (node, G_TYPE_INT64))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "'%s%s' must be a whole number", prefix, key);
      return FALSE;
    }
  v = json_node_get_int (node);
  if ((v < min || v > max) && min == max)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "'%s%s' must be %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT, prefix, key, min, v);
      return FALSE;
    }
  if (v < min || v > max)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "'%s%s' must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
                   prefix, key, min, max, v);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
read_number (JsonNode    *node,
             const char  *prefix,
             const char  *key,
             double      *out,
             GError     **error)
{
  if (node_is (node, G_TYPE_INT64))
    *out = (double) json_node_get_int (node);
  else if (node_is (node, G_TYPE_DOUBLE))
    *out = json_node_get_double (node);
  else
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "'%s%s' must be a number", prefix, key);
      return FALSE;
    }
  if (!isfinite (*out))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "'%s%s' must be finite", prefix, key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_string (JsonNode    *node,
             const char  *key,
             char       **out,
             GError     **error)
{
  if (!node_is (node, G_TYPE_STRING))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "'%s' must be a string", key);
      return FALSE;
    }
  /* json-glib 1.6 decodes octal escapes ("\600") into bytes that are not UTF-8 */
  if (!g_utf8_validate (json_node_get_string (node), -1, NULL))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "'%s' is not valid UTF-8 text", key);
      return FALSE;
    }
  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_ranks (JsonNode      *node,
            RlExperiment  *exp,
            GError       **error)
{
  JsonArray *arr;
  guint n;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_FORMAT, "'plan.ranks' must be an array of whole numbers");
      return FALSE;
    }
  arr = json_node_get_array (node);
  n = json_array_get_length (arr);
  if (n == 0 || n > RL_MODEL_MAX_LAYERS)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "'plan.ranks' must hold 1 to %u ranks, not %u", RL_MODEL_MAX_LAYERS, n);
      return FALSE;
    }

  g_free (exp->ranks);
  exp->ranks = g_new0 (guint, n);
  exp->n_ranks = n;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("ranks[%u]", i);
      gint64 v;

      if (!read_int (json_array_get_element (arr, i), "plan.", key, 0, RL_MODEL_MAX_WIDTH, &v, error))
        return FALSE;
      exp->ranks[i] = (guint) v;
    }
  return TRUE;
}

static gboolean
forbid (JsonObject  *plan,
        const char  *key,
        const char  *mode,
        GError     **error)
{
  if (json_object_has_member (plan, key))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "'plan.%s' does not belong to plan mode '%s'", key, mode);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_plan (JsonNode      *node,
           RlExperiment  *exp,
           GError       **error)
{
  JsonObject *plan;
  JsonNode *n;
  g_autofree char *mode = NULL;
  gint64 v;
  const char *kind_keys[] = { "rank", "ranks", "energy", "budget" };

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_FORMAT, "'plan' must be an object");
      return FALSE;
    }
  plan = json_node_get_object (node);
  if (!check_keys (plan, "plan.", plan_keys, error))
    return FALSE;

  if ((n = member (plan, "plan.", "mode", TRUE, error)) == NULL || !read_string (n, "plan.mode", &mode, error))
    return FALSE;
  if (!rl_experiment_kind_from_string (mode, &exp->kind))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "'plan.mode' must be uniform, per-layer, energy or budget, not '%s'", mode);
      return FALSE;
    }

  /* Each mode has its own required key; "ranks" is also allowed (resolved)
   * for energy and budget; anything else is a contradiction. */
  for (guint i = 0; i < G_N_ELEMENTS (kind_keys); i++)
    {
      gboolean own = (i == (guint) exp->kind)
        || (i == 1 && (exp->kind == RL_EXPERIMENT_ENERGY || exp->kind == RL_EXPERIMENT_BUDGET));

      if (!own && !forbid (plan, kind_keys[i], mode, error))
        return FALSE;
    }

  switch (exp->kind)
    {
    case RL_EXPERIMENT_UNIFORM:
      if ((n = member (plan, "plan.", "rank", TRUE, error)) == NULL
          || !read_int (n, "plan.", "rank", 1, RL_MODEL_MAX_WIDTH, &v, error))
        return FALSE;
      exp->rank = (guint) v;
      break;
    case RL_EXPERIMENT_PER_LAYER:
      if ((n = member (plan, "plan.", "ranks", TRUE, error)) == NULL)
        return FALSE;
      break;
    case RL_EXPERIMENT_ENERGY:
      if ((n = member (plan, "plan.", "energy", TRUE, error)) == NULL
          || !read_number (n, "plan.", "energy", &exp->energy, error))
        return FALSE;
      if (!(exp->energy > 0.0 && exp->energy <= 1.0))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "'plan.energy' must be a fraction in (0, 1], not %g", exp->energy);
          return FALSE;
        }
      break;
    case RL_EXPERIMENT_BUDGET:
      if ((n = member (plan, "plan.", "budget", TRUE, error)) == NULL
          || !read_int (n, "plan.", "budget", 1, G_GINT64_CONSTANT (1) << 40, &v, error))
        return FALSE;
      exp->budget = (guint64) v;
      break;
    default:
      g_assert_not_reached ();
    }

  if ((n = member (plan, "plan.", "ranks", FALSE, NULL)) != NULL && !read_ranks (n, exp, error))
    return FALSE;
  if ((n = member (plan, "plan.", "auto", FALSE, NULL)) != NULL)
    {
      if (!node_is (n, G_TYPE_BOOLEAN))
        {
          g_set_error_literal (error, RL_ERROR, RL_ERROR_FORMAT, "'plan.auto' must be true or false");
          return FALSE;
        }
      exp->auto_mode = json_node_get_boolean (n);
    }
  return TRUE;
}

static gboolean
read_results (JsonNode      *node,
              RlExperiment  *exp,
              GError       **error)
{
  JsonObject *obj;
  const char *keys[G_N_ELEMENTS (result_fields) + 1];

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_FORMAT, "'results' must be an object");
      return FALSE;
    }
  obj = json_node_get_object (node);
  for (guint i = 0; i < G_N_ELEMENTS (result_fields); i++)
    keys[i] = result_fields[i].key;
  keys[G_N_ELEMENTS (result_fields)] = NULL;
  if (!check_keys (obj, "results.", keys, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (result_fields); i++)
    {
      JsonNode *n = json_object_get_member (obj, result_fields[i].key);
      gpointer field = G_STRUCT_MEMBER_P (&exp->results, result_fields[i].offset);

      if (n == NULL)
        continue;
      if (result_fields[i].count
          ? !read_int (n, "results.", result_fields[i].key, 0, G_MAXINT64, field, error)
          : !read_number (n, "results.", result_fields[i].key, field, error))
        return FALSE;
      if (result_fields[i].count)
        continue;
      if (*(double *) field < 0)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "'results.%s' must not be negative", result_fields[i].key);
          return FALSE;
        }
      if (result_fields[i].fraction && *(double *) field > 1)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "'results.%s' is an accuracy, at most 1", result_fields[i].key);
          return FALSE;
        }
      *(double *) field += 0.0;   /* -0 becomes 0, as the file will say */
    }
  exp->has_results = TRUE;
  return TRUE;
}

static gboolean
read_root (JsonNode      *root,
           RlExperiment  *exp,
           GError       **error)
{
  JsonObject *obj;
  JsonNode *n;
  g_autofree char *format = NULL;
  gint64 v;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_FORMAT, "an experiment file holds one JSON object");
      return FALSE;
    }
  obj = json_node_get_object (root);
  if (!check_keys (obj, "", root_keys, error))
    return FALSE;

  if ((n = member (obj, "", "format", TRUE, error)) == NULL || !read_string (n, "format", &format, error))
    return FALSE;
  if (!g_str_equal (format, RL_EXPERIMENT_FORMAT))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "'format' is '%s', not '" RL_EXPERIMENT_FORMAT "'", format);
      return FALSE;
    }
  if ((n = member (obj, "", "version", TRUE, error)) == NULL
      || !read_int (n, "", "version", RL_EXPERIMENT_VERSION, RL_EXPERIMENT_VERSION, &v, error))
    return FALSE;

  if ((n = member (obj, "", "model", TRUE, error)) == NULL || !read_string (n, "model", &exp->model, error))
    return FALSE;
  if (exp->model[0] == '\0')
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_INVALID, "'model' must not be empty");
      return FALSE;
    }
  if ((n = member (obj, "", "model_hash", FALSE, NULL)) != NULL
      && !read_string (n, "model_hash", &exp->model_hash, error))
    return FALSE;
  if ((n = member (obj, "", "description", FALSE, NULL)) != NULL
      && !read_string (n, "description", &exp->description, error))
    return FALSE;

  if ((n = member (obj, "", "plan", TRUE, error)) == NULL || !read_plan (n, exp, error))
    return FALSE;

  if ((n = member (obj, "", "seed", FALSE, NULL)) != NULL)
    {
      if (!read_int (n, "", "seed", 0, G_MAXINT64, &v, error))
        return FALSE;
      exp->seed = (guint64) v;
    }
  if ((n = member (obj, "", "finetune_epochs", FALSE, NULL)) != NULL)
    {
      if (!read_int (n, "", "finetune_epochs", 0, RL_EXPERIMENT_MAX_EPOCHS, &v, error))
        return FALSE;
      exp->finetune_epochs = (guint) v;
    }
  if ((n = member (obj, "", "results", FALSE, NULL)) != NULL && !read_results (n, exp, error))
    return FALSE;
  return TRUE;
}

RlExperiment *
rl_experiment_parse (const char  *json,
                     gssize       len,
                     const char  *base_dir,
                     GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(RlExperiment) exp = rl_experiment_new (NULL);

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < 0)
    len = (gssize) strlen (json);
  if ((gsize) len > RL_EXPERIMENT_MAX_BYTES)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "an experiment file may hold at most %u bytes", RL_EXPERIMENT_MAX_BYTES);
      return NULL;
    }
  if (!rl_json_parse_strict (parser, json, (gsize) len, 0, error))
    return NULL;
  if (!read_root (json_parser_get_root (parser), exp, error))
    return NULL;
  exp->base_dir = g_strdup (base_dir);
  return g_steal_pointer (&exp);
}

RlExperiment *
rl_experiment_load (const char  *path,
                    GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GError) local = NULL;
  RlExperiment *exp;
  gsize len;
  const char *data;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bytes = rl_file_read_bounded (path, RL_EXPERIMENT_MAX_BYTES, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  dir = g_path_get_dirname (path);
  exp = rl_experiment_parse (data != NULL ? data : "", (gssize) len, dir, &local);
  if (exp == NULL)
    {
      g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
      return NULL;
    }
  return exp;
}

/* ---- writing ----------------------------------------------------------- *
 * By hand rather than with JsonGenerator, which prints every double with 17
 * digits (0.9 as 0.90000000000000002): here each double gets the fewest
 * digits that read back to the same value, so files stay readable and
 * round-trip exactly. Strings are escaped by json-glib. */

static void
append_string (GString    *out,
               const char *s)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), s);
  g_autofree char *text = json_to_string (node, FALSE);

  g_string_append (out, text);
}

static void
append_double (GString *out,
               double   v)
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
}

static void
append_key (GString    *out,
            const char *indent,
            const char *key,
            gboolean   *first)
{
  g_string_append (out, *first ? "\n" : ",\n");
  *first = FALSE;
  g_string_append_printf (out, "%s\"%s\": ", indent, key);
}

char *
rl_experiment_to_json (const RlExperiment *exp)
{
  GString *out = g_string_new ("{");
  gboolean first = TRUE, pfirst = TRUE;

  g_return_val_if_fail (exp != NULL, NULL);

  append_key (out, "  ", "format", &first);
  append_string (out, RL_EXPERIMENT_FORMAT);
  append_key (out, "  ", "version", &first);
  g_string_append_printf (out, "%d", RL_EXPERIMENT_VERSION);
  append_key (out, "  ", "model", &first);
  append_string (out, exp->model);
  if (exp->model_hash != NULL)
    {
      append_key (out, "  ", "model_hash", &first);
      append_string (out, exp->model_hash);
    }
  if (exp->description != NULL)
    {
      append_key (out, "  ", "description", &first);
      append_string (out, exp->description);
    }

  append_key (out, "  ", "plan", &first);
  g_string_append_c (out, '{');
  append_key (out, "    ", "mode", &pfirst);
  append_string (out, rl_experiment_kind_to_string (exp->kind));
  if (exp->kind == RL_EXPERIMENT_UNIFORM)
    {
      append_key (out, "    ", "rank", &pfirst);
      g_string_append_printf (out, "%u", exp->rank);
    }
  else if (exp->kind == RL_EXPERIMENT_ENERGY)
    {
      append_key (out, "    ", "energy", &pfirst);
      append_double (out, exp->energy);
    }
  else if (exp->kind == RL_EXPERIMENT_BUDGET)
    {
      append_key (out, "    ", "budget", &pfirst);
      g_string_append_printf (out, "%" G_GUINT64_FORMAT, exp->budget);
    }
  if (exp->kind != RL_EXPERIMENT_UNIFORM && exp->n_ranks > 0)
    {
      append_key (out, "    ", "ranks", &pfirst);
      g_string_append_c (out, '[');
      for (guint i = 0; i < exp->n_ranks; i++)
        g_string_append_printf (out, i ? ", %u" : "%u", exp->ranks[i]);
      g_string_append_c (out, ']');
    }
  append_key (out, "    ", "auto", &pfirst);
  g_string_append (out, exp->auto_mode ? "true" : "false");
  g_string_append (out, "\n  }");

  append_key (out, "  ", "seed", &first);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT, exp->seed);
  append_key (out, "  ", "finetune_epochs", &first);
  g_string_append_printf (out, "%u", exp->finetune_epochs);

  if (exp->has_results)
    {
      gboolean rfirst = TRUE;

      append_key (out, "  ", "results", &first);
      g_string_append_c (out, '{');
      for (guint i = 0; i < G_N_ELEMENTS (result_fields); i++)
        {
          gconstpointer field = G_STRUCT_MEMBER_P (&exp->results, result_fields[i].offset);

          if (result_fields[i].count ? *(const gint64 *) field < 0 : !isfinite (*(const double *) field))
            continue;
          append_key (out, "    ", result_fields[i].key, &rfirst);
          if (result_fields[i].count)
            g_string_append_printf (out, "%" G_GINT64_FORMAT, *(const gint64 *) field);
          else
            append_double (out, *(const double *) field);
        }
      g_string_append (out, rfirst ? "}" : "\n  }");
    }
  g_string_append (out, "\n}\n");
  return g_string_free (out, FALSE);
}

gboolean
rl_experiment_save (const RlExperiment  *exp,
                    const char          *path,
                    GError             **error)
{
  g_autofree char *json = NULL;

  g_return_val_if_fail (exp != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  json = rl_experiment_to_json (exp);
  return rl_file_replace_atomic (path, json, strlen (json), error);
}

/* ---- using ------------------------------------------------------------- */

char *
rl_experiment_model_path (const RlExperiment *exp)
{
  g_return_val_if_fail (exp != NULL, NULL);

  if (g_path_is_absolute (exp->model) || exp->base_dir == NULL)
    return g_strdup (exp->model);
  return g_build_filename (exp->base_dir, exp->model, NULL);
}

RlPlanMode
rl_experiment_plan_mode (const RlExperiment *exp)
{
  g_return_val_if_fail (exp != NULL, RL_PLAN_PAPER);

  return exp->auto_mode ? RL_PLAN_AUTO : RL_PLAN_PAPER;
}

gboolean
rl_experiment_check_model (const RlExperiment  *exp,
                           const RlModel       *dense,
                           GError             **error)
{
  g_return_val_if_fail (exp != NULL, FALSE);
  g_return_val_if_fail (dense != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (rl_model_is_factored (dense))
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_INVALID,
                           "'model' is already factored; a plan needs the dense model");
      return FALSE;
    }
  if (exp->model_hash != NULL)
    {
      g_autofree char *hash = rl_model_weights_hash (dense);

      if (g_ascii_strcasecmp (hash, exp->model_hash) != 0)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "'model_hash' does not match the weights of the model given (they hash to %s)",
                       hash);
          return FALSE;
        }
    }
  if (exp->n_ranks > 0)
    {
      if (exp->n_ranks != dense->n_layers)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                       "'plan.ranks' has %u ranks but the model has %u layers",
                       exp->n_ranks, dense->n_layers);
          return FALSE;
        }
      for (guint i = 0; i < exp->n_ranks; i++)
        {
          guint k = MIN (dense->layers[i].in, dense->layers[i].out);

          if (exp->ranks[i] > k)
            {
              g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                           "'plan.ranks[%u]' is %u but layer %u (%u×%u) has at most rank %u",
                           i, exp->ranks[i], i, dense->layers[i].in, dense->layers[i].out, k);
              return FALSE;
            }
        }
    }
  if (exp->kind == RL_EXPERIMENT_BUDGET)
    {
      guint64 min_params = rl_budget_min_params (dense, rl_experiment_plan_mode (exp));
      RlPlan plan = { exp->n_ranks, exp->ranks };

      if (exp->budget < min_params)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "'plan.budget' is %" G_GUINT64_FORMAT " parameters, below the smallest "
                       "possible plan of this model (%" G_GUINT64_FORMAT ")", exp->budget, min_params);
          return FALSE;
        }
      if (exp->n_ranks > 0 && rl_plan_param_count (dense, &plan) > exp->budget)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "'plan.ranks' hold %" G_GUINT64_FORMAT " parameters, more than 'plan.budget' (%"
                       G_GUINT64_FORMAT ")", rl_plan_param_count (dense, &plan), exp->budget);
          return FALSE;
        }
    }
  return TRUE;
}

RlPlan *
rl_experiment_build_plan (const RlExperiment  *exp,
                          const RlModel       *dense,
                          const RlSvd         *svd,
                          const RlDataset     *val,
                          GCancellable        *cancellable,
                          RlProgressFunc       progress,
                          gpointer             user_data,
                          GError             **error)
{
  RlPlanMode mode;

  g_return_val_if_fail (exp != NULL, NULL);
  g_return_val_if_fail (dense != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!rl_experiment_check_model (exp, dense, error))
    return NULL;
  mode = rl_experiment_plan_mode (exp);

  if (exp->kind == RL_EXPERIMENT_UNIFORM)
    return rl_plan_uniform (dense, exp->rank, mode);
  if (exp->n_ranks > 0)
    {
      RlPlan *plan = rl_plan_new (exp->n_ranks);

      memcpy (plan->ranks, exp->ranks, sizeof (guint) * exp->n_ranks);
      return plan;
    }

  if (svd == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "a plan of mode '%s' needs the model's SVD", rl_experiment_kind_to_string (exp->kind));
      return NULL;
    }
  if (exp->kind == RL_EXPERIMENT_ENERGY)
    return rl_plan_energy (svd, exp->energy, mode);

  g_assert (exp->kind == RL_EXPERIMENT_BUDGET);
  if (val == NULL)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_INVALID,
                           "a budget plan without resolved ranks needs validation images");
      return NULL;
    }
  {
    RlBudgetOptions opts;

    rl_budget_options_init (&opts);
    opts.mode = mode;
    return rl_budget_plan (dense, svd, val, exp->budget, &opts, NULL, cancellable,
                           progress, user_data, error);
  }
}

void
rl_experiment_set_ranks (RlExperiment *exp,
                         const RlPlan *plan)
{
  g_return_if_fail (exp != NULL);
  g_return_if_fail (plan != NULL);

  if (exp->kind == RL_EXPERIMENT_UNIFORM || plan->n_layers == 0
      || plan->n_layers > RL_MODEL_MAX_LAYERS)
    return;
  g_free (exp->ranks);
  exp->n_ranks = plan->n_layers;
  exp->ranks = g_memdup2 (plan->ranks, sizeof (guint) * plan->n_layers);
}
