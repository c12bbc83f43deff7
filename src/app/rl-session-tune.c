/* rl-session-tune.c — the workers behind budget plans and fine-tuning.
 *
 * Both need the training images (the budget search only its validation
 * split, images 50,000–59,999; never the test set). The session keeps
 * them once loaded: a job is handed the cached set, or loads its own copy
 * and returns it for the session to keep. Workers read only their task
 * data; progress reaches the main thread through rl-session-jobs.c. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "rl-session-private.h"

/* Loads the training images unless cached; *owned receives a loaded set. */
static const RlDataset *
get_train (const char       *data_dir,
           const RlDataset  *cached,
           RlDataset       **owned,
           GError          **error)
{
  if (cached != NULL)
    return cached;
  *owned = rl_dataset_load_dir (data_dir, RL_SPLIT_TRAIN, error);
  return *owned;
}

/* ------------------------------------------------------------ budget */

typedef struct
{
  RlModelBox      *box;
  char            *data_dir;
  const RlDataset *train;          /* the session's, kept alive by the task */
  RlDataset       *loaded_train;   /* loaded here, handed to the session */
  guint64          budget;
  RlPlanMode       mode;
  RlJobProgress    progress;
} BudgetData;

static void
budget_data_free (gpointer data)
{
  BudgetData *bd = data;

  _rl_model_box_unref (bd->box);
  g_free (bd->data_dir);
  g_clear_pointer (&bd->loaded_train, rl_dataset_free);
  g_object_unref (bd->progress.session);
  g_free (bd);
}

static void
budget_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  BudgetData *bd = task_data;
  GError *error = NULL;
  const RlDataset *train;
  g_autoptr(RlDataset) val = NULL;
  RlBudgetOptions opts;
  RlPlan *plan;

  _rl_session_job_progress_cb (0, NULL, &bd->progress);
  train = get_train (bd->data_dir, bd->train, &bd->loaded_train, &error);
  if (train == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (train->n <= RL_BUDGET_VAL_START)
    {
      g_task_return_new_error (task, RL_ERROR, RL_ERROR_INVALID,
                               _("The validation images are training images %u and up, "
                                 "but the training set has only %u"),
                               RL_BUDGET_VAL_START, train->n);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  val = rl_dataset_slice (train, RL_BUDGET_VAL_START,
                          MIN (RL_BUDGET_VAL_COUNT, train->n - RL_BUDGET_VAL_START));

  rl_budget_options_init (&opts);
  opts.mode = bd->mode;
  plan = rl_budget_plan (bd->box->dense, bd->box->svd, val, bd->budget, &opts, NULL,
                         cancellable, _rl_session_job_progress_cb, &bd->progress, &error);
  if (plan == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, plan, (GDestroyNotify) rl_plan_free);
}

void
_rl_session_budget_async (RlSession           *self,
                          RlModelBox          *box,
                          const char          *data_dir,
                          const RlDataset     *train,
                          guint64              budget,
                          RlPlanMode           mode,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  BudgetData *bd = g_new0 (BudgetData, 1);

  bd->box = _rl_model_box_ref (box);
  bd->data_dir = g_strdup (data_dir);
  bd->train = train;
  bd->budget = budget;
  bd->mode = mode;
  bd->progress.session = g_object_ref (self);
  bd->progress.label = _("Finding the best ranks within the budget…");
  bd->progress.last_time = -1;
  g_task_set_source_tag (task, _rl_session_budget_async);
  g_task_set_task_data (task, bd, budget_data_free);
  g_task_run_in_thread (task, budget_thread);
}

RlPlan *
_rl_session_budget_finish (RlSession     *self,
                           GAsyncResult  *result,
                           guint64       *budget,
                           RlPlanMode    *mode,
                           RlDataset    **loaded_train,
                           GError       **error)
{
  BudgetData *bd = g_task_get_task_data (G_TASK (result));

  *budget = bd->budget;
  *mode = bd->mode;
  *loaded_train = g_steal_pointer (&bd->loaded_train);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -------------------------------------------------------- fine-tuning */

void
_rl_finetune_result_free (RlFinetuneResult *res)
{
  if (res == NULL)
    return;
  g_clear_pointer (&res->model, rl_model_free);
  g_clear_pointer (&res->loaded_train, rl_dataset_free);
  g_free (res);
}

typedef struct
{
  RlModel         *model;
  char            *source_hash;
  char            *data_dir;
  const RlDataset *train;
  const RlDataset *test;
  RlDataset       *loaded_train;
  guint            epochs;
  RlSession       *session;
} FinetuneData;

static void
finetune_data_free (gpointer data)
{
  FinetuneData *fd = data;

  g_clear_pointer (&fd->model, rl_model_free);
  g_clear_pointer (&fd->loaded_train, rl_dataset_free);
  g_free (fd->source_hash);
  g_free (fd->data_dir);
  g_object_unref (fd->session);
  g_free (fd);
}

static void
finetune_progress_cb (const RlTrainProgress *progress,
                      gpointer               user_data)
{
  _rl_session_queue_train_progress (RL_SESSION (user_data), progress, TRUE);
}

static void
set_meta_accuracy (RlModel    *model,
                   const char *key,
                   double      accuracy)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  rl_model_set_meta (model, key, g_ascii_formatd (buf, sizeof buf, "%.4f", accuracy));
}

static char *
ranks_text (const RlModel *model)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < model->n_layers; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      if (model->layers[i].rank == 0)
        g_string_append (s, "dense");
      else
        g_string_append_printf (s, "%u", model->layers[i].rank);
    }
  return g_string_free (s, FALSE);
}

static void
finetune_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  FinetuneData *fd = task_data;
  g_autoptr(RlFinetuneResult) res = g_new0 (RlFinetuneResult, 1);
  g_autofree char *ranks = NULL;
  GError *error = NULL;
  const RlDataset *train;
  RlTrainConfig config;
  RlAccuracy acc;

  train = get_train (fd->data_dir, fd->train, &fd->loaded_train, &error);
  if (train == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  rl_eval_accuracy (fd->model, fd->test, NULL, &acc);
  res->before = acc.accuracy;

  /* The CLI's settings (ranklab-cli finetune). */
  rl_train_config_init_finetune (&config);
  config.epochs = fd->epochs;
  if (!rl_train_finetune (fd->model, train, &config, cancellable, finetune_progress_cb,
                          fd->session, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  rl_eval_accuracy (fd->model, fd->test, NULL, &acc);
  res->after = acc.accuracy;

  ranks = ranks_text (fd->model);
  rl_model_set_meta (fd->model, "compressed_from", fd->source_hash);
  rl_model_set_meta (fd->model, "plan_ranks", ranks);
  set_meta_accuracy (fd->model, "test_accuracy_before_finetune", res->before);
  set_meta_accuracy (fd->model, "test_accuracy", res->after);

  res->model = g_steal_pointer (&fd->model);
  res->loaded_train = g_steal_pointer (&fd->loaded_train);
  g_task_return_pointer (task, g_steal_pointer (&res), (GDestroyNotify) _rl_finetune_result_free);
}

void
_rl_session_finetune_async (RlSession           *self,
                            RlModel             *model,
                            const char          *source_hash,
                            const char          *data_dir,
                            const RlDataset     *train,
                            const RlDataset     *test,
                            guint                epochs,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  FinetuneData *fd = g_new0 (FinetuneData, 1);

  fd->model = model;
  fd->source_hash = g_strdup (source_hash);
  fd->data_dir = g_strdup (data_dir);
  fd->train = train;
  fd->test = test;
  fd->epochs = epochs;
  fd->session = g_object_ref (self);
  g_task_set_source_tag (task, _rl_session_finetune_async);
  g_task_set_task_data (task, fd, finetune_data_free);
  g_task_run_in_thread (task, finetune_thread);
}

RlFinetuneResult *
_rl_session_finetune_finish (RlSession     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
