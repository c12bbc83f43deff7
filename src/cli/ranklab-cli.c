/* ranklab-cli.c — the headless interface: train, sweep, predict, info. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli-common.h"

static const struct
{
  const char     *name;
  CliCommandFunc  func;
  const char     *summary;
} commands[] = {
  { "train",   cli_train,   "train the study's network on MNIST and save it" },
  { "sweep",   cli_sweep,   "accuracy, latency, parameters and memory at each rank" },
  { "predict", cli_predict, "classify an image file (PNG, JPEG, GIF, PGM)" },
  { "info",    cli_info,    "layers, shapes, parameters and singular values of a model" },
  { "finetune", cli_finetune, "compress a model, then fine-tune the factors to win accuracy back" },
  { "plan",    cli_plan,    "per-layer ranks from an energy threshold or a parameter budget" },
  { "run",     cli_run,     "carry out an experiment file and report its figures" },
  { "export",  cli_export,  "save the model truncated to a rank as safetensors or NumPy .npz" },
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage: ranklab-cli COMMAND [OPTIONS]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'ranklab-cli COMMAND --help' for a command's options.\n"
                "MNIST is found through --data DIR, $RANKLAB_MNIST_DIR or ~/.local/share/ranklab/mnist\n"
                "(data/fetch-mnist.sh puts it there).\n");
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  /* Numbers in tables and CSV stay in the C convention. */
  setlocale (LC_NUMERIC, "C");
  rl_core_init (0);

  if (argc < 2)
    {
      usage (stderr);
      return 2;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      usage (stdout);
      return 0;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      printf ("ranklab-cli %s\n", PACKAGE_VERSION);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].func (argc - 1, argv + 1);

  fprintf (stderr, "ranklab-cli: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
