/* cli-common.h — shared helpers of the ranklab-cli subcommands. */
#pragma once

#include <glib.h>
#include "rl-core.h"

G_BEGIN_DECLS

typedef int (*CliCommandFunc) (int argc, char **argv);

int  cli_train      (int argc, char **argv);
int  cli_sweep      (int argc, char **argv);
int  cli_predict    (int argc, char **argv);
int  cli_info       (int argc, char **argv);
int  cli_finetune   (int argc, char **argv);
int  cli_plan       (int argc, char **argv);
int  cli_run        (int argc, char **argv);
int  cli_export     (int argc, char **argv);

/* Shared by finetune, plan and run (cli-plan.c, cli-finetune.c). */
#define CLI_VAL_START RL_BUDGET_VAL_START   /* validation: training images 50,000–59,999 */
RlDataset *cli_load_validation (const char *data_dir, guint count, GError **error);
void       cli_print_plan      (const RlModel *dense, const RlSvd *svd, const RlPlan *plan);
char      *cli_plan_ranks_text (const RlPlan *plan);
/* Fine-tunes model in place on all training images (Ctrl-C cancels). */
gboolean   cli_finetune_model  (RlModel *model, const RlDataset *train, guint epochs,
                                double learning_rate, guint64 seed, GError **error);

/* The value of an integer option the user did not give (so that 0 and -1
 * given explicitly are checked like any other value). */
#define CLI_UNSET G_MININT

/* Prints "ranklab-cli: <message>" to stderr; returns the exit status 1. */
/* text for a terminal: made valid UTF-8, control characters (terminal
 * escape sequences among them) shown as \xNN, cut at max_chars (0: not
 * cut). What came from a file or a file name goes through it. */
char *cli_printable  (const char *text, glong max_chars);
/* Prints "ranklab-cli: MESSAGE" (through cli_printable) to stderr; returns 1. */
int  cli_fail       (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
int  cli_fail_error (const char *context, const GError *error);

/* Parses options; prints the error and returns FALSE on bad usage. */
gboolean cli_parse  (GOptionContext *context, int *argc, char ***argv);

/* Finds the MNIST folder (option, env, user data dir) and loads a split. */
RlDataset *cli_load_split (const char *data_dir, RlSplit split, GError **error);

/* "1,5,10" → sorted unique ranks; FALSE with an error on anything else. */
gboolean cli_parse_ranks (const char *text, GArray **ranks, GError **error);

/* Checks that value lies in [min, max]; else an RL_ERROR_INVALID naming opt. */
gboolean cli_check_range (const char *opt, gint64 value, gint64 min, gint64 max, GError **error);

/* The SVD of a dense model, from the user cache or computed and cached. */
RlSvd   *cli_get_svd    (const RlModel *model, gboolean quiet, GError **error);

/* rl_train or rl_train_finetune, run by cli_run_training. */
typedef gboolean (*CliTrainFunc) (RlModel             *model,
                                  const RlDataset     *train,
                                  const RlTrainConfig *config,
                                  GCancellable        *cancellable,
                                  RlTrainProgressFunc  progress,
                                  gpointer             user_data,
                                  GError             **error);

/* Runs func in a worker thread with progress on stderr ("<label> 2/5 …");
 * Ctrl+C cancels (G_IO_ERROR_CANCELLED). */
gboolean cli_run_training (CliTrainFunc          func,
                           const char           *label,
                           RlModel              *model,
                           const RlDataset      *train,
                           const RlTrainConfig  *config,
                           GError              **error);

/* Fails early (before hours of work) when path's folder is missing or not
 * writable; path may be NULL (nothing to check). */
gboolean cli_check_writable (const char *opt, const char *path, GError **error);

/* "1467726" → "1,467,726" (newly allocated). */
char    *cli_group_thousands (guint64 value);

G_END_DECLS
