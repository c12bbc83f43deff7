/* rl-dataset.h — MNIST IDX files (gzip or raw, recognised by their bytes). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Documented ceiling: no dataset larger than this many items is accepted,
 * whatever a header claims (MNIST has 70,000 in all). */
#define RL_DATASET_MAX_ITEMS   1000000u
#define RL_IDX_IMAGE_MAGIC     2051u
#define RL_IDX_LABEL_MAGIC     2049u

typedef struct
{
  guint   n;        /* number of items */
  guint   rows;     /* 28 */
  guint   cols;     /* 28 */
  float  *images;   /* n × rows·cols, row-major, pixel/255 in 0..1 */
  guint8 *labels;   /* n labels, 0..9 */
} RlDataset;

typedef enum
{
  RL_SPLIT_TRAIN,
  RL_SPLIT_TEST,
} RlSplit;

/* Reads a whole file; if it starts with the gzip magic (1f 8b) it is
 * inflated (with a ceiling on the inflated size). */
GBytes    *rl_idx_read_file     (const char    *path,
                                 GError       **error);

/* Parse an IDX image file held in memory. On success *pixels points into
 * data (not copied). Checks magic 2051, dims 28×28, exact size. */
gboolean   rl_idx_parse_images  (const guint8  *data,
                                 gsize          len,
                                 guint         *n,
                                 guint         *rows,
                                 guint         *cols,
                                 const guint8 **pixels,
                                 GError       **error);
/* Parse an IDX label file (magic 2049, exact size, labels ≤ 9). */
gboolean   rl_idx_parse_labels  (const guint8  *data,
                                 gsize          len,
                                 guint         *n,
                                 const guint8 **labels,
                                 GError       **error);

RlDataset *rl_dataset_load_idx  (const char    *images_path,
                                 const char    *labels_path,
                                 GError       **error);
/* Loads the train or test pair from a folder holding the canonical file
 * names (with or without .gz, and the dot variant "t10k-images.idx3-ubyte"). */
RlDataset *rl_dataset_load_dir  (const char    *dir,
                                 RlSplit        split,
                                 GError       **error);
/* Where the data is: explicit (if non-NULL), else $RANKLAB_MNIST_DIR (if set
 * and not empty), else $XDG_DATA_HOME/ranklab/mnist. The first of those that
 * is given is final (no fallback): returns it if it is a folder holding the
 * test images, else NULL. Free with g_free. */
char      *rl_dataset_find_dir  (const char    *explicit_dir);

/* A new dataset holding a copy of items [start, start+count). */
RlDataset *rl_dataset_slice     (const RlDataset *ds,
                                 guint            start,
                                 guint            count);
void       rl_dataset_free      (RlDataset     *ds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlDataset, rl_dataset_free)

G_END_DECLS
