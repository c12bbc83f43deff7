/* rl-settings.c — the app's GSettings: lookup with a fallback, the style,
 * and the window/session state kept between runs. */

#include "config.h"

#include "rl-core.h"
#include "rl-settings.h"

#define PORTAL_BUS   "org.freedesktop.portal.Desktop"
#define PORTAL_PATH  "/org/freedesktop/portal/desktop"
#define PORTAL_IFACE "org.freedesktop.portal.Settings"

/* ---------------------------------------------------------- the schema */

const char *
rl_settings_build_root (void)
{
#ifdef RL_BUILD_ROOT
  static gsize once = 0;
  static gboolean in_build = FALSE;

  if (g_once_init_enter (&once))
    {
      g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

      in_build = exe != NULL && g_str_has_prefix (exe, RL_BUILD_ROOT G_DIR_SEPARATOR_S);
      g_once_init_leave (&once, 1);
    }
  return in_build ? RL_BUILD_ROOT : NULL;
#else
  return NULL;
#endif
}

GSettings *
rl_settings_new (void)
{
  GSettingsSchemaSource *installed = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  const char *build_root = rl_settings_build_root ();

  /* Uninstalled: the schema compiled into <build>/data comes first (an
   * installed copy may be older). */
  if (build_root != NULL)
    {
      g_autofree char *dir = g_build_filename (build_root, "data", NULL);
      g_autoptr(GSettingsSchemaSource) source = NULL;

      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        source = g_settings_schema_source_new_from_directory (dir, installed, FALSE, NULL);
      if (source != NULL)
        schema = g_settings_schema_source_lookup (source, APP_ID, FALSE);
    }
  if (schema == NULL && installed != NULL)
    schema = g_settings_schema_source_lookup (installed, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_message ("The settings schema %s is not installed: using the defaults, "
                 "and nothing is kept between runs", APP_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

/* -------------------------------------------------------------- style */

/* The desktop's preference (xdg-desktop-portal: 0 none, 1 dark, 2 light),
 * which GTK 4.8 without libadwaita does not follow by itself. */
static gboolean system_prefers_dark;

static void
apply_theme (GSettings *settings)
{
  GtkSettings *gtk_settings = gtk_settings_get_default ();
  RlTheme theme = settings != NULL ? (RlTheme) g_settings_get_enum (settings, "theme") : RL_THEME_SYSTEM;

  if (gtk_settings == NULL)
    return;
  if (theme == RL_THEME_SYSTEM && !system_prefers_dark)
    gtk_settings_reset_property (gtk_settings, "gtk-application-prefer-dark-theme");
  else
    g_object_set (gtk_settings, "gtk-application-prefer-dark-theme",
                  theme == RL_THEME_DARK || (theme == RL_THEME_SYSTEM && system_prefers_dark), NULL);
}

static void
set_color_scheme (GSettings *settings,
                  GVariant  *value)
{
  g_autoptr(GVariant) inner = NULL;

  /* Read returns v (sometimes v inside v); SettingChanged gives v. */
  while (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *next = g_variant_get_variant (value);
      g_clear_pointer (&inner, g_variant_unref);
      value = inner = next;
    }
  if (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    {
      system_prefers_dark = g_variant_get_uint32 (value) == 1;
      apply_theme (settings);
    }
}

static void
portal_changed_cb (GDBusConnection *connection,
                   const char      *sender,
                   const char      *path,
                   const char      *iface,
                   const char      *signal,
                   GVariant        *params,
                   gpointer         user_data)
{
  const char *ns, *key;
  g_autoptr(GVariant) value = NULL;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(ssv)")))
    return;
  g_variant_get (params, "(&s&sv)", &ns, &key, &value);
  if (g_strcmp0 (ns, "org.freedesktop.appearance") == 0 && g_strcmp0 (key, "color-scheme") == 0)
    set_color_scheme (user_data, value);
}

static void
portal_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    return;                     /* no portal: the style GTK picks */
  g_variant_get (reply, "(v)", &value);
  set_color_scheme (user_data, value);
}

void
rl_settings_apply_theme (GSettings *settings)
{
  GDBusConnection *bus = g_application_get_dbus_connection (g_application_get_default ());

  apply_theme (settings);
  if (settings != NULL)
    g_signal_connect (settings, "changed::theme", G_CALLBACK (apply_theme), NULL);

  if (bus == NULL)
    return;
  g_dbus_connection_signal_subscribe (bus, PORTAL_BUS, PORTAL_IFACE, "SettingChanged", PORTAL_PATH,
                                      NULL, G_DBUS_SIGNAL_FLAGS_NONE, portal_changed_cb,
                                      settings != NULL ? g_object_ref (settings) : NULL,
                                      settings != NULL ? g_object_unref : NULL);
  g_dbus_connection_call (bus, PORTAL_BUS, PORTAL_PATH, PORTAL_IFACE, "Read",
                          g_variant_new ("(ss)", "org.freedesktop.appearance", "color-scheme"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 2000, NULL,
                          portal_read_cb, settings);
}

/* ------------------------------------------------------------- window */

static gboolean
plan_get_mapping (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  RlPlanMode mode;

  if (!rl_plan_mode_from_string (g_variant_get_string (variant, NULL), &mode))
    mode = RL_PLAN_PAPER;
  g_value_set_uint (value, mode);
  return TRUE;
}

static GVariant *
plan_set_mapping (const GValue       *value,
                  const GVariantType *type,
                  gpointer            user_data)
{
  return g_variant_new_string (rl_plan_mode_to_string ((RlPlanMode) g_value_get_uint (value)));
}

/* On "destroy": both the close button (close-request, then destroy) and
 * app.quit (gtk_window_destroy) end there. */
static void
window_destroy_cb (GtkWindow *window,
                   GSettings *settings)
{
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  if (width > 0 && height > 0 && !gtk_window_is_maximized (window))
    {
      g_settings_set_int (settings, "window-width", width);
      g_settings_set_int (settings, "window-height", height);
    }
  g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (window));
}

static void
session_model_cb (RlSession  *session,
                  GParamSpec *pspec,
                  GSettings  *settings)
{
  const char *path = rl_session_get_model_path (session);

  if (!rl_session_get_has_model (session))
    return;
  /* The rank is restored once, for the first model of the run. */
  if (g_object_get_data (G_OBJECT (session), "rl-rank-restored") == NULL)
    {
      g_object_set_data (G_OBJECT (session), "rl-rank-restored", GINT_TO_POINTER (1));
      rl_session_set_rank (session, g_settings_get_uint (settings, "rank"));
    }
  /* A GSettings string is UTF-8: a file name that is not cannot be kept. */
  if (path != NULL && g_path_is_absolute (path) && g_utf8_validate (path, -1, NULL))
    g_settings_set_string (settings, "last-model", path);
}

static void
session_rank_cb (RlSession  *session,
                 GParamSpec *pspec,
                 GSettings  *settings)
{
  if (g_object_get_data (G_OBJECT (session), "rl-rank-restored") != NULL
      && rl_session_get_has_model (session))
    g_settings_set_uint (settings, "rank", rl_session_get_rank (session));
}

void
rl_settings_attach_window (GSettings *settings,
                           RlWindow  *window)
{
  RlSession *session;
  g_autofree char *folder = NULL;
  int width, height;

  g_return_if_fail (RL_IS_WINDOW (window));

  if (settings == NULL)
    return;
  session = rl_window_get_session (window);

  width = g_settings_get_int (settings, "window-width");
  height = g_settings_get_int (settings, "window-height");
  if (width >= 360 && height >= 294)
    gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (window));
  g_signal_connect_object (window, "destroy", G_CALLBACK (window_destroy_cb), settings, 0);

  folder = rl_settings_dup_data_folder (settings);
  rl_session_set_data_folder (session, folder);

  g_settings_bind_with_mapping (settings, "plan", session, "plan-mode", G_SETTINGS_BIND_DEFAULT,
                                plan_get_mapping, plan_set_mapping, NULL, NULL);
  g_signal_connect_object (session, "notify::model-name", G_CALLBACK (session_model_cb), settings, 0);
  g_signal_connect_object (session, "notify::has-model", G_CALLBACK (session_model_cb), settings, 0);
  g_signal_connect_object (session, "notify::rank", G_CALLBACK (session_rank_cb), settings, 0);
}

char *
rl_settings_dup_start_model (GSettings *settings)
{
  g_autofree char *path = NULL;

  if (settings == NULL)
    return NULL;
  path = g_settings_get_string (settings, "last-model");
  if (path[0] == '\0' || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_steal_pointer (&path);
}

char *
rl_settings_dup_data_folder (GSettings *settings)
{
  g_autofree char *folder = NULL;

  if (settings == NULL)
    return NULL;
  folder = g_settings_get_string (settings, "data-folder");
  return folder[0] != '\0' ? g_steal_pointer (&folder) : NULL;
}
