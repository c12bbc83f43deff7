/* main.c — the `ranklab` desktop application. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "rl-core.h"
#include "rl-application.h"
#include "rl-settings.h"
#include "rl-watchdog.h"

/* $RANKLAB_LOCALEDIR, else the build tree's po/ (where i18n.gettext lays
 * out <lang>/LC_MESSAGES/ranklab.mo) when running uninstalled, else the
 * installed locale folder. */
static char *
pick_localedir (void)
{
  const char *env = g_getenv ("RANKLAB_LOCALEDIR");
  const char *build_root = rl_settings_build_root ();

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (build_root != NULL)
    return g_build_filename (build_root, "po", NULL);
  return g_strdup (LOCALEDIR);
}

/* The user's locale. gettext ignores $LANGUAGE under the plain C locale,
 * which is what a machine without generated locales gives (LANG unset, or
 * naming a locale that is not installed): there `LANGUAGE=id ranklab` would
 * stay in English. C.UTF-8 is always present and honours $LANGUAGE; it goes
 * into LC_ALL so that gtk_init's own setlocale () keeps it. */
static void
set_locale (void)
{
  const char *language = g_getenv ("LANGUAGE");
  const char *messages;

  if (setlocale (LC_ALL, "") == NULL)
    setlocale (LC_ALL, "C");
  messages = setlocale (LC_MESSAGES, NULL);
  if (language != NULL && language[0] != '\0'
      && (g_strcmp0 (messages, "C") == 0 || g_strcmp0 (messages, "POSIX") == 0)
      && setlocale (LC_ALL, "C.UTF-8") != NULL)
    g_setenv ("LC_ALL", "C.UTF-8", TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(RlApplication) app = NULL;
  g_autofree char *localedir = pick_localedir ();

  set_locale ();
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* One OpenBLAS thread: up to two GTask workers (a rank evaluation and the
   * sweep) run heavy products at once, each on its own core, so BLAS
   * threads would only oversubscribe the two cores and blur the timings.
   * A forward over many images splits its rows across the cores itself
   * (rl-forward.c), one such forward at a time, so an evaluation running
   * alone still uses both cores. */
  rl_core_init (1);

  g_set_application_name (_("RankLab"));
  app = rl_application_new ();
  rl_watchdog_start ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
