/* main.c — the `ranklab` desktop application. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "rl-core.h"
#include "rl-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(RlApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* One OpenBLAS thread: up to two GTask workers (a rank evaluation and the
   * sweep) run heavy products at once, each on its own core, so BLAS
   * threads would only oversubscribe the two cores and blur the timings. */
  rl_core_init (1);

  g_set_application_name (_("RankLab"));
  app = rl_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
