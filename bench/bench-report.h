/* bench-report.h — the benchmark's rows, targets, table and CSV.
 *
 * Every measurement is one row: section, item, metric, value, unit, the
 * target it is judged against (free text, may be empty), a status
 * ("PASS", "MISS", "est. PASS", "n/a", or empty) and a note. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char   *section;
  char   *item;
  char   *metric;
  double  value;      /* NAN when the row only carries a note */
  char   *unit;
  char   *target;
  char   *status;
  char   *note;
} BenchRow;

typedef struct _BenchReport BenchReport;

BenchReport *bench_report_new      (void);
void         bench_report_free     (BenchReport *report);

/* Adds a row and returns it (owned by the report) so that target/status
 * can be set afterwards with bench_row_judge(). */
BenchRow    *bench_report_add      (BenchReport *report,
                                    const char  *section,
                                    const char  *item,
                                    const char  *metric,
                                    double       value,
                                    const char  *unit);
BenchRow    *bench_report_note     (BenchReport *report,
                                    const char  *section,
                                    const char  *item,
                                    const char  *metric,
                                    const char  *note);

/* status = PASS when ok, else MISS; estimated prefixes "est. ". */
void         bench_row_judge       (BenchRow    *row,
                                    gboolean     ok,
                                    gboolean     estimated,
                                    const char  *target_format,
                                    ...) G_GNUC_PRINTF (4, 5);
void         bench_row_set_note    (BenchRow    *row,
                                    const char  *note);

/* A readable fixed-width table of every row, grouped by section. */
void         bench_report_print    (BenchReport *report,
                                    FILE        *out);
gboolean     bench_report_write_csv (BenchReport *report,
                                     const char  *path,
                                     GError     **error);
guint        bench_report_count_status (BenchReport *report,
                                        const char  *status);

/* Median of n values (sorts values in place); 0 when n == 0. */
double       bench_median          (double      *values,
                                    guint        n);
/* Monotonic clock in seconds at nanosecond resolution. */
double       bench_now             (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchReport, bench_report_free)

G_END_DECLS
