/* rl-npz.c — NumPy .npz writer: stored ZIP members holding NPY v1.0 files. */

#include "config.h"

#include <string.h>

#include "rl-error.h"
#include "rl-modelfile.h"
#include "rl-npz.h"

#define ZIP_LOCAL_SIG    0x04034b50u
#define ZIP_CENTRAL_SIG  0x02014b50u
#define ZIP_END_SIG      0x06054b50u
#define ZIP_VERSION      20u          /* 2.0: what Python's zipfile writes */
#define ZIP_MAX_ENTRIES  0xffffu
#define NPY_ALIGN        64u

typedef struct
{
  char    *name;         /* "<name>.npy" */
  guint32  crc;
  guint32  size;
  guint32  offset;       /* of the local header */
} Entry;

struct _RlNpzWriter
{
  GByteArray *buf;
  GArray     *entries;   /* Entry */
  guint16     dos_time;
  guint16     dos_date;
  gboolean    finished;
};

/* ------------------------------------------------------------- CRC-32 */

static guint32 crc_table[256];

static gpointer
init_crc_table (gpointer data)
{
  for (guint32 n = 0; n < 256; n++)
    {
      guint32 c = n;
      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      crc_table[n] = c;
    }
  return NULL;
}

guint32
rl_crc32 (guint32     crc,
          const void *data,
          gsize       len)
{
  static GOnce once = G_ONCE_INIT;
  const guint8 *p = data;

  g_return_val_if_fail (data != NULL || len == 0, crc);

  g_once (&once, init_crc_table, NULL);
  crc = ~crc;
  for (gsize i = 0; i < len; i++)
    crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

/* ------------------------------------------------------------ helpers */

static void
put_u16 (GByteArray *buf,
         guint16     v)
{
  guint8 b[2] = { v & 0xff, v >> 8 };

  g_byte_array_append (buf, b, 2);
}

static void
put_u32 (GByteArray *buf,
         guint32     v)
{
  guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

  g_byte_array_append (buf, b, 4);
}

/* The NPY v1.0 preamble for a float32 C-order array of this shape. */
static GByteArray *
npy_header (guint          n_dims,
            const guint64 *shape)
{
  GString *dict = g_string_new ("{'descr': '<f4', 'fortran_order': False, 'shape': (");
  GByteArray *out = g_byte_array_new ();
  static const guint8 magic[8] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0 };
  gsize total;

  for (guint i = 0; i < n_dims; i++)
    g_string_append_printf (dict, "%s%" G_GUINT64_FORMAT, i > 0 ? ", " : "", shape[i]);
  /* "(784, 25)", and "(10,)": a one-element tuple keeps its comma. */
  if (n_dims == 1)
    g_string_append_c (dict, ',');
  g_string_append (dict, "), }");

  /* magic (6) + version (2) + length (2) + dict + padding + '\n' */
  total = 10 + dict->len + 1;
  while (total % NPY_ALIGN != 0)
    {
      g_string_append_c (dict, ' ');
      total++;
    }
  g_string_append_c (dict, '\n');

  g_byte_array_append (out, magic, sizeof magic);
  put_u16 (out, (guint16) dict->len);
  g_byte_array_append (out, (const guint8 *) dict->str, dict->len);
  g_string_free (dict, TRUE);
  return out;
}

static void
dos_now (guint16 *time_out,
         guint16 *date_out)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  int year = CLAMP (g_date_time_get_year (now), 1980, 2107);

  *time_out = (guint16) ((g_date_time_get_hour (now) << 11)
                         | (g_date_time_get_minute (now) << 5)
                         | (g_date_time_get_second (now) / 2));
  *date_out = (guint16) (((year - 1980) << 9)
                         | (g_date_time_get_month (now) << 5)
                         | g_date_time_get_day_of_month (now));
}

/* ------------------------------------------------------------- writer */

RlNpzWriter *
rl_npz_writer_new (void)
{
  RlNpzWriter *writer = g_new0 (RlNpzWriter, 1);

  writer->buf = g_byte_array_new ();
  writer->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  dos_now (&writer->dos_time, &writer->dos_date);
  return writer;
}

void
rl_npz_writer_free (RlNpzWriter *writer)
{
  if (writer == NULL)
    return;
  for (guint i = 0; i < writer->entries->len; i++)
    g_free (g_array_index (writer->entries, Entry, i).name);
  g_array_unref (writer->entries);
  if (writer->buf != NULL)
    g_byte_array_unref (writer->buf);
  g_free (writer);
}

gboolean
rl_npz_writer_add_f32 (RlNpzWriter    *writer,
                       const char     *name,
                       guint           n_dims,
                       const guint64  *shape,
                       const float    *data,
                       GError        **error)
{
  g_autoptr(GByteArray) header = NULL;
  guint64 n_elements = 1;
  guint64 data_bytes, member_bytes;
  Entry entry = { 0 };

  g_return_val_if_fail (writer != NULL && !writer->finished, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (name[0] == '\0' || strchr (name, '/') != NULL || strlen (name) > 200)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "npz: bad array name “%s”", name);
      return FALSE;
    }
  else if (n_dims == 0 || n_dims > RL_NPZ_MAX_DIMS || shape == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "npz: array %s: %u dimensions (1 to %u allowed)", name, n_dims, RL_NPZ_MAX_DIMS);
      return FALSE;
    }
  else if (writer->entries->len >= ZIP_MAX_ENTRIES)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "npz: too many arrays");
      return FALSE;
    }

  for (guint i = 0; i < n_dims; i++)
    {
      if (shape[i] > G_MAXUINT32 || (shape[i] > 0 && n_elements > G_MAXUINT32 / shape[i]))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "npz: array %s is too large", name);
          return FALSE;
        }
      n_elements *= shape[i];
    }
  if (n_elements > 0 && data == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "npz: array %s has no data", name);
      return FALSE;
    }

  entry.name = g_strconcat (name, ".npy", NULL);
  for (guint i = 0; i < writer->entries->len; i++)
    if (g_strcmp0 (g_array_index (writer->entries, Entry, i).name, entry.name) == 0)
      {
        g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "npz: array %s added twice", name);
        g_free (entry.name);
        return FALSE;
      }

  header = npy_header (n_dims, shape);
  data_bytes = n_elements * sizeof (float);
  member_bytes = header->len + data_bytes;
  if ((guint64) writer->buf->len + 30 + strlen (entry.name) + member_bytes > G_MAXUINT32 / 2)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "npz: the archive would exceed 2 GiB at %s", name);
      g_free (entry.name);
      return FALSE;
    }

  entry.offset = writer->buf->len;
  entry.size = (guint32) member_bytes;
  entry.crc = rl_crc32 (0, header->data, header->len);

  /* Local header; the CRC is patched in once the data has been copied. */
  put_u32 (writer->buf, ZIP_LOCAL_SIG);
  put_u16 (writer->buf, ZIP_VERSION);
  put_u16 (writer->buf, 0);                       /* flags */
  put_u16 (writer->buf, 0);                       /* stored */
  put_u16 (writer->buf, writer->dos_time);
  put_u16 (writer->buf, writer->dos_date);
  put_u32 (writer->buf, 0);                       /* CRC-32, below */
  put_u32 (writer->buf, entry.size);              /* compressed */
  put_u32 (writer->buf, entry.size);              /* uncompressed */
  put_u16 (writer->buf, (guint16) strlen (entry.name));
  put_u16 (writer->buf, 0);                       /* extra field */
  g_byte_array_append (writer->buf, (const guint8 *) entry.name, strlen (entry.name));
  g_byte_array_append (writer->buf, header->data, header->len);

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  if (data_bytes > 0)
    {
      g_byte_array_append (writer->buf, (const guint8 *) data, data_bytes);
      entry.crc = rl_crc32 (entry.crc, data, data_bytes);
    }
#else
  for (guint64 i = 0; i < n_elements; i++)
    {
      guint32 bits;
      memcpy (&bits, &data[i], 4);
      bits = GUINT32_TO_LE (bits);
      g_byte_array_append (writer->buf, (const guint8 *) &bits, 4);
      entry.crc = rl_crc32 (entry.crc, &bits, 4);
    }
#endif

  for (int k = 0; k < 4; k++)
    writer->buf->data[entry.offset + 14 + k] = (entry.crc >> (8 * k)) & 0xff;

  g_array_append_val (writer->entries, entry);
  return TRUE;
}

GBytes *
rl_npz_writer_finish (RlNpzWriter  *writer,
                      GError      **error)
{
  guint32 cd_offset, cd_size;

  g_return_val_if_fail (writer != NULL && !writer->finished, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  writer->finished = TRUE;
  cd_offset = writer->buf->len;
  for (guint i = 0; i < writer->entries->len; i++)
    {
      const Entry *e = &g_array_index (writer->entries, Entry, i);
      guint16 name_len = (guint16) strlen (e->name);

      put_u32 (writer->buf, ZIP_CENTRAL_SIG);
      put_u16 (writer->buf, (3u << 8) | ZIP_VERSION); /* made by: Unix, 2.0 */
      put_u16 (writer->buf, ZIP_VERSION);
      put_u16 (writer->buf, 0);                 /* flags */
      put_u16 (writer->buf, 0);                 /* stored */
      put_u16 (writer->buf, writer->dos_time);
      put_u16 (writer->buf, writer->dos_date);
      put_u32 (writer->buf, e->crc);
      put_u32 (writer->buf, e->size);
      put_u32 (writer->buf, e->size);
      put_u16 (writer->buf, name_len);
      put_u16 (writer->buf, 0);                 /* extra */
      put_u16 (writer->buf, 0);                 /* comment */
      put_u16 (writer->buf, 0);                 /* disk */
      put_u16 (writer->buf, 0);                 /* internal attributes */
      put_u32 (writer->buf, 0100644u << 16);    /* external: a regular rw-r--r-- file */
      put_u32 (writer->buf, e->offset);
      g_byte_array_append (writer->buf, (const guint8 *) e->name, name_len);
    }
  cd_size = writer->buf->len - cd_offset;

  put_u32 (writer->buf, ZIP_END_SIG);
  put_u16 (writer->buf, 0);                     /* this disk */
  put_u16 (writer->buf, 0);                     /* disk with the directory */
  put_u16 (writer->buf, (guint16) writer->entries->len);
  put_u16 (writer->buf, (guint16) writer->entries->len);
  put_u32 (writer->buf, cd_size);
  put_u32 (writer->buf, cd_offset);
  put_u16 (writer->buf, 0);                     /* comment */

  return g_byte_array_free_to_bytes (g_steal_pointer (&writer->buf));
}

/* -------------------------------------------------------------- model */

static gboolean
add_tensor (RlNpzWriter  *writer,
            guint         layer,
            const char   *suffix,
            const float  *data,
            guint         rows,
            guint         cols,
            guint         n_dims,
            GError      **error)
{
  g_autofree char *name = g_strdup_printf ("layers.%u.%s", layer, suffix);
  guint64 shape[2] = { rows, cols };

  if (n_dims == 1)
    shape[0] = cols;
  return rl_npz_writer_add_f32 (writer, name, n_dims, shape, data, error);
}

GBytes *
rl_npz_serialize_model (const RlModel  *model,
                        GError        **error)
{
  g_autoptr(RlNpzWriter) writer = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (model->n_layers == 0 || model->layers == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "npz: the model has no layers");
      return NULL;
    }

  writer = rl_npz_writer_new ();
  for (guint i = 0; i < model->n_layers; i++)
    {
      const RlLayer *l = &model->layers[i];
      gboolean ok;

      if (l->rank == 0)
        ok = add_tensor (writer, i, "weight", l->w, l->in, l->out, 2, error);
      else
        ok = add_tensor (writer, i, "a", l->a, l->in, l->rank, 2, error)
             && add_tensor (writer, i, "b", l->b, l->rank, l->out, 2, error);
      if (!ok || !add_tensor (writer, i, "bias", l->bias, 1, l->out, 1, error))
        return NULL;
    }
  return rl_npz_writer_finish (writer, error);
}

gboolean
rl_npz_save_model (const RlModel  *model,
                   const char     *path,
                   GError        **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bytes = rl_npz_serialize_model (model, error);
  if (bytes == NULL)
    return FALSE;
  return rl_file_replace_atomic (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), error);
}
