/* bench-report.c — the benchmark's rows, targets, table and CSV. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rl-modelfile.h"
#include "bench-report.h"

struct _BenchReport
{
  GPtrArray *rows;   /* BenchRow* */
};

static void
bench_row_free (gpointer data)
{
  BenchRow *row = data;

  g_free (row->section);
  g_free (row->item);
  g_free (row->metric);
  g_free (row->unit);
  g_free (row->target);
  g_free (row->status);
  g_free (row->note);
  g_free (row);
}

BenchReport *
bench_report_new (void)
{
  BenchReport *report = g_new0 (BenchReport, 1);

  report->rows = g_ptr_array_new_with_free_func (bench_row_free);
  return report;
}

void
bench_report_free (BenchReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->rows);
  g_free (report);
}

BenchRow *
bench_report_add (BenchReport *report,
                  const char  *section,
                  const char  *item,
                  const char  *metric,
                  double       value,
                  const char  *unit)
{
  BenchRow *row;

  g_return_val_if_fail (report != NULL && section != NULL && metric != NULL, NULL);

  row = g_new0 (BenchRow, 1);
  row->section = g_strdup (section);
  row->item = g_strdup (item != NULL ? item : "");
  row->metric = g_strdup (metric);
  row->value = value;
  row->unit = g_strdup (unit != NULL ? unit : "");
  row->target = g_strdup ("");
  row->status = g_strdup ("");
  row->note = g_strdup ("");
  g_ptr_array_add (report->rows, row);
  return row;
}

BenchRow *
bench_report_note (BenchReport *report,
                   const char  *section,
                   const char  *item,
                   const char  *metric,
                   const char  *note)
{
  BenchRow *row = bench_report_add (report, section, item, metric, NAN, "");

  bench_row_set_note (row, note);
  return row;
}

void
bench_row_judge (BenchRow   *row,
                 gboolean    ok,
                 gboolean    estimated,
                 const char *target_format,
                 ...)
{
  va_list args;

  g_return_if_fail (row != NULL && target_format != NULL);

  va_start (args, target_format);
  g_free (row->target);
  row->target = g_strdup_vprintf (target_format, args);
  va_end (args);

  g_free (row->status);
  row->status = g_strdup_printf ("%s%s", estimated ? "est. " : "", ok ? "PASS" : "MISS");
}

void
bench_row_set_note (BenchRow   *row,
                    const char *note)
{
  g_return_if_fail (row != NULL);

  g_free (row->note);
  row->note = g_strdup (note != NULL ? note : "");
}

static char *
format_value (double value)
{
  if (isnan (value))
    return g_strdup ("");
  if (value == floor (value) && fabs (value) < 1e9)
    return g_strdup_printf ("%.0f", value);
  if (value != 0 && (fabs (value) >= 1e6 || fabs (value) < 1e-3))
    return g_strdup_printf ("%.4g", value);
  if (fabs (value) >= 100)
    return g_strdup_printf ("%.1f", value);
  return g_strdup_printf ("%.4g", value);
}

static void
print_row (const BenchRow *row,
           FILE           *out)
{
  g_autofree char *value = format_value (row->value);

  fprintf (out, "%-24s %-20s %12s %-8s %-32s %s%s%s\n",
           row->item, row->metric, value, row->unit, row->target, row->status,
           row->note[0] != '\0' && row->status[0] != '\0' ? "  " : "", row->note);
}

/* Sections in the order they first appear, each with all of its rows. */
void
bench_report_print (BenchReport *report,
                    FILE        *out)
{
  g_autoptr(GPtrArray) sections = g_ptr_array_new ();

  g_return_if_fail (report != NULL && out != NULL);

  for (guint i = 0; i < report->rows->len; i++)
    {
      BenchRow *row = g_ptr_array_index (report->rows, i);

      if (!g_ptr_array_find_with_equal_func (sections, row->section, g_str_equal, NULL))
        g_ptr_array_add (sections, row->section);
    }

  for (guint s = 0; s < sections->len; s++)
    {
      const char *section = g_ptr_array_index (sections, s);

      fprintf (out, "\n== %s ==\n", section);
      fprintf (out, "%-24s %-20s %12s %-8s %-32s %s\n",
               "item", "metric", "value", "unit", "target", "status / note");
      for (guint i = 0; i < report->rows->len; i++)
        {
          BenchRow *row = g_ptr_array_index (report->rows, i);

          if (g_str_equal (row->section, section))
            print_row (row, out);
        }
    }
  fflush (out);
}

static void
append_csv_field (GString    *s,
                  const char *field)
{
  if (strpbrk (field, ",\"\n") == NULL)
    {
      g_string_append (s, field);
      return;
    }
  g_string_append_c (s, '"');
  for (const char *p = field; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

gboolean
bench_report_write_csv (BenchReport *report,
                        const char  *path,
                        GError     **error)
{
  g_autoptr(GString) s = g_string_new ("section,item,metric,value,unit,target,status,note\n");

  g_return_val_if_fail (report != NULL && path != NULL, FALSE);

  for (guint i = 0; i < report->rows->len; i++)
    {
      BenchRow *row = g_ptr_array_index (report->rows, i);
      const char *fields[] = { row->section, row->item, row->metric };

      for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
        {
          append_csv_field (s, fields[f]);
          g_string_append_c (s, ',');
        }
      if (!isnan (row->value))
        g_string_append_printf (s, "%.9g", row->value);
      g_string_append_c (s, ',');
      append_csv_field (s, row->unit);
      g_string_append_c (s, ',');
      append_csv_field (s, row->target);
      g_string_append_c (s, ',');
      append_csv_field (s, row->status);
      g_string_append_c (s, ',');
      append_csv_field (s, row->note);
      g_string_append_c (s, '\n');
    }

  return rl_file_replace_atomic (path, s->str, s->len, error);
}

guint
bench_report_count_status (BenchReport *report,
                           const char  *status)
{
  guint count = 0;

  for (guint i = 0; i < report->rows->len; i++)
    {
      BenchRow *row = g_ptr_array_index (report->rows, i);

      if (g_str_has_suffix (row->status, status))
        count++;
    }
  return count;
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_median (double *values,
              guint   n)
{
  if (n == 0)
    return 0;
  qsort (values, n, sizeof (double), compare_double);
  return (n % 2 == 1) ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double
bench_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}
