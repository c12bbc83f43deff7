/* fuzz-common.h — shared helpers of the libFuzzer targets.
 *
 * File-based APIs get their input through an anonymous memory file
 * (memfd_create), reached by the path /proc/self/fd/<n>: a regular file, so
 * the S_ISREG checks of the readers pass, and nothing touches the disk. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "rl-error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

typedef struct
{
  int  fd;
  char path[64];
} FuzzFile;

/* Creates the memory file once (the same one is reused for every input). */
static inline void
fuzz_file_init (FuzzFile   *file,
                const char *name)
{
  file->fd = memfd_create (name, MFD_CLOEXEC);
  if (file->fd < 0)
    {
      fprintf (stderr, "memfd_create: %s\n", g_strerror (errno));
      abort ();
    }
  g_snprintf (file->path, sizeof file->path, "/proc/self/fd/%d", file->fd);
}

/* Replaces the file's contents with data[0..size). */
static inline void
fuzz_file_set (FuzzFile      *file,
               const uint8_t *data,
               size_t         size)
{
  size_t done = 0;

  if (ftruncate (file->fd, 0) != 0)
    abort ();
  while (done < size)
    {
      ssize_t w = pwrite (file->fd, data + done, size - done, (off_t) done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        abort ();
      done += (size_t) w;
    }
}

/* Criticals and warnings from our code, GLib, GIO or json-glib mean that a
 * hostile input reached a precondition or misuse: make them crash so
 * libFuzzer records the input. (GdkPixbuf's loaders may legitimately warn
 * about broken images, so their domain is left alone.) */
static inline void
fuzz_common_init (void)
{
  static const char *const domains[] = {
    "RankLab-Core", "RankLab-Fuzz", "GLib", "GLib-GIO", "GLib-GObject", "Json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (domains); i++)
    g_log_set_fatal_mask (domains[i], G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING
                                      | G_LOG_LEVEL_ERROR);
  rl_core_init (1);
}

/* A finding that is not a memory error (a broken invariant): abort with a
 * message, which libFuzzer reports as a crash with the input saved. */
#define FUZZ_CHECK(cond, ...)                                   \
  G_STMT_START {                                                \
    if (G_UNLIKELY (!(cond)))                                   \
      {                                                         \
        fprintf (stderr, "FUZZ_CHECK failed: %s: ", #cond);     \
        fprintf (stderr, __VA_ARGS__);                          \
        fputc ('\n', stderr);                                   \
        abort ();                                               \
      }                                                         \
  } G_STMT_END

/* Every failure must come with an error in our domain and a message. */
#define FUZZ_CHECK_ERROR(err)                                                 \
  FUZZ_CHECK ((err) != NULL && (err)->domain == RL_ERROR                      \
              && (err)->message != NULL && (err)->message[0] != '\0',         \
              "failure without a proper RL_ERROR (%s)",                       \
              (err) ? (err)->message : "no GError")
