/* rl-safetensors.c — a small, strict reader and writer of safetensors files.
 * See rl-safetensors.h for the format and the checks. */
#include "rl-safetensors.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "rl-error.h"
#include "rl-json.h"

static const struct
{
  const char *name;
  gsize       size;
} dtypes[] = {
  [RL_ST_BOOL] = { "BOOL", 1 }, [RL_ST_U8] = { "U8", 1 }, [RL_ST_I8] = { "I8", 1 },
  [RL_ST_F8_E5M2] = { "F8_E5M2", 1 }, [RL_ST_F8_E4M3] = { "F8_E4M3", 1 },
  [RL_ST_I16] = { "I16", 2 }, [RL_ST_U16] = { "U16", 2 }, [RL_ST_F16] = { "F16", 2 },
  [RL_ST_BF16] = { "BF16", 2 }, [RL_ST_I32] = { "I32", 4 }, [RL_ST_U32] = { "U32", 4 },
  [RL_ST_F32] = { "F32", 4 }, [RL_ST_I64] = { "I64", 8 }, [RL_ST_U64] = { "U64", 8 },
  [RL_ST_F64] = { "F64", 8 },
};

const char *
rl_st_dtype_name (RlStDtype dtype)
{
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtypes), "?");
  return dtypes[dtype].name;
}

gsize
rl_st_dtype_size (RlStDtype dtype)
{
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtypes), 0);
  return dtypes[dtype].size;
}

static gboolean
dtype_from_name (const char *name,
                 RlStDtype  *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (g_strcmp0 (name, dtypes[i].name) == 0)
      {
        *out = (RlStDtype) i;
        return TRUE;
      }
  return FALSE;
}

char *
rl_st_format_shape (guint          n_dims,
                    const guint64 *shape)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? "," : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* Element count of a shape, overflow-checked and bounded. */
static gboolean
shape_elements (guint          n_dims,
                const guint64 *shape,
                guint64       *n_elements)
{
  guint64 n = 1;

  for (guint i = 0; i < n_dims; i++)
    if (!g_uint64_checked_mul (&n, n, shape[i]) || n > RL_ST_MAX_ELEMENTS)
      return FALSE;
  *n_elements = n;
  return TRUE;
}

/* ------------------------------------------------------------------ reader */

struct _RlStReader
{
  RlStTensor *tensors;     /* sorted by offset; names owned */
  guint       n_tensors;
  GHashTable *by_name;     /* name → RlStTensor* */
  GHashTable *meta;        /* char* → char* */
};

void
rl_st_reader_free (RlStReader *reader)
{
  if (reader == NULL)
    return;
  for (guint i = 0; i < reader->n_tensors; i++)
    g_free ((char *) reader->tensors[i].name);
  g_free (reader->tensors);
  g_clear_pointer (&reader->by_name, g_hash_table_unref);
  g_clear_pointer (&reader->meta, g_hash_table_unref);
  g_free (reader);
}

static gboolean
node_get_uint (JsonNode *node,
               guint64  *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_metadata (RlStReader  *reader,
                JsonNode    *node,
                GError     **error)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "__metadata__ is not a JSON object");
      return FALSE;
    }
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                       "__metadata__ entry “%s” is not a string", key);
          return FALSE;
        }
      /* json-glib turns a lone surrogate escape (\ud800) into bytes that
       * are not UTF-8: check what it hands back, not only the raw text. */
      if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (json_node_get_string (value), -1, NULL))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                       "__metadata__ holds a key or value that is not valid UTF-8");
          return FALSE;
        }
      g_hash_table_insert (reader->meta, g_strdup (key), g_strdup (json_node_get_string (value)));
    }
  return TRUE;
}

static gboolean
parse_tensor (RlStTensor  *t,
              const char  *name,
              JsonNode    *node,
              GError     **error)
{
  JsonObject *obj;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  guint64 n_bytes;

  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "a tensor name is not valid UTF-8");
      return FALSE;
    }
  t->name = g_strdup (name);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "tensor %s: entry is not a JSON object", name);
      return FALSE;
    }
  obj = json_node_get_object (node);
  dtype_node = json_object_get_member (obj, "dtype");
  shape_node = json_object_get_member (obj, "shape");
  offsets_node = json_object_get_member (obj, "data_offsets");
  if (dtype_node == NULL || shape_node == NULL || offsets_node == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "tensor %s: needs “dtype”, “shape” and “data_offsets”", name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (dtype_node) || json_node_get_value_type (dtype_node) != G_TYPE_STRING
      || !dtype_from_name (json_node_get_string (dtype_node), &t->dtype))
    {
      const char *shown = JSON_NODE_HOLDS_VALUE (dtype_node)
                          && json_node_get_value_type (dtype_node) == G_TYPE_STRING
                          ? json_node_get_string (dtype_node) : "(not a string)";
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "tensor %s: unknown dtype “%s”", name, shown);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (shape_node))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "tensor %s: shape is not an array", name);
      return FALSE;
    }
  shape = json_node_get_array (shape_node);
  if (json_array_get_length (shape) > RL_ST_MAX_DIMS)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "tensor %s: %u dimensions (at most %u)",
                   name, json_array_get_length (shape), RL_ST_MAX_DIMS);
      return FALSE;
    }
  t->n_dims = json_array_get_length (shape);
  for (guint i = 0; i < t->n_dims; i++)
    if (!node_get_uint (json_array_get_element (shape, i), &t->shape[i]))
      {
        g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                     "tensor %s: shape entry %u is not a non-negative integer", name, i);
        return FALSE;
      }
  if (!shape_elements (t->n_dims, t->shape, &t->n_elements))
    {
      g_autofree char *s = rl_st_format_shape (t->n_dims, t->shape);
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "tensor %s: shape %s has more than %" G_GUINT64_FORMAT " elements",
                   name, s, RL_ST_MAX_ELEMENTS);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (offsets_node)
      || json_array_get_length (offsets = json_node_get_array (offsets_node)) != 2
      || !node_get_uint (json_array_get_element (offsets, 0), &t->begin)
      || !node_get_uint (json_array_get_element (offsets, 1), &t->end)
      || t->begin > t->end)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "tensor %s: data_offsets must be [begin, end] with 0 ≤ begin ≤ end", name);
      return FALSE;
    }
  n_bytes = t->n_elements * rl_st_dtype_size (t->dtype);   /* ≤ 2^35: no overflow */
  if (t->end - t->begin != n_bytes)
    {
      g_autofree char *s = rl_st_format_shape (t->n_dims, t->shape);
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "tensor %s: shape %s of %s needs %" G_GUINT64_FORMAT " bytes but data_offsets "
                   "span %" G_GUINT64_FORMAT, name, s, rl_st_dtype_name (t->dtype), n_bytes,
                   t->end - t->begin);
      return FALSE;
    }
  return TRUE;
}

static int
compare_offsets (gconstpointer a,
                 gconstpointer b)
{
  const RlStTensor *x = a, *y = b;

  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return 0;
}

/* Sorted by offset, the tensors must tile [0, buffer_len) exactly. */
static gboolean
check_layout (RlStReader    *reader,
              const guint8  *buffer,
              guint64        buffer_len,
              guint64        header_end,
              GError       **error)
{
  guint64 expected = 0;

  if (reader->n_tensors > 1)
    qsort (reader->tensors, reader->n_tensors, sizeof (RlStTensor), compare_offsets);
  for (guint i = 0; i < reader->n_tensors; i++)
    {
      RlStTensor *t = &reader->tensors[i];

      if (t->end > buffer_len)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                       "file is truncated: tensor %s ends at byte %" G_GUINT64_FORMAT
                       " but the file has %" G_GUINT64_FORMAT " bytes",
                       t->name, header_end + t->end, header_end + buffer_len);
          return FALSE;
        }
      if (t->begin < expected)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "tensors %s and %s overlap",
                       reader->tensors[i - 1].name, t->name);
          return FALSE;
        }
      if (t->begin > expected)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                       "%" G_GUINT64_FORMAT " unused bytes before tensor %s (is a tensor missing from the header?)",
                       t->begin - expected, t->name);
          return FALSE;
        }
      t->data = buffer + t->begin;
      expected = t->end;
    }
  if (expected != buffer_len)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "%" G_GUINT64_FORMAT " unused bytes after the last tensor (is a tensor missing from the header?)",
                   buffer_len - expected);
      return FALSE;
    }
  for (guint i = 0; i < reader->n_tensors; i++)
    g_hash_table_insert (reader->by_name, (gpointer) reader->tensors[i].name, &reader->tensors[i]);
  return TRUE;
}

RlStReader *
rl_st_reader_new (const guint8  *data,
                  gsize          len,
                  GError       **error)
{
  g_autoptr(RlStReader) reader = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *root, *node;
  guint64 header_len;
  const char *header;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < 8)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "file is truncated: %" G_GSIZE_FORMAT " bytes, shorter than the 8-byte header length",
                   len);
      return NULL;
    }
  memcpy (&header_len, data, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > len - 8)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "not a safetensors file: its first 8 bytes give a header length of %"
                   G_GUINT64_FORMAT ", which exceeds the file size (%" G_GSIZE_FORMAT " bytes)",
                   header_len, len);
      return NULL;
    }
  if (header_len > RL_ST_MAX_HEADER_BYTES)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "header length %" G_GUINT64_FORMAT " exceeds the ceiling of %u bytes",
                   header_len, RL_ST_MAX_HEADER_BYTES);
      return NULL;
    }
  header = (const char *) data + 8;
  if (header_len < 2 || header[0] != '{')
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "header is not a JSON object");
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!rl_json_parse_strict (parser, header, header_len, 8, error))
    {
      g_prefix_error (error, "header: ");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "header is not a JSON object");
      return NULL;
    }

  reader = g_new0 (RlStReader, 1);
  reader->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  reader->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  reader->tensors = g_new0 (RlStTensor, json_object_get_size (json_node_get_object (root)));

  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &name, &node))
    {
      if (g_strcmp0 (name, "__metadata__") == 0)
        {
          if (!parse_metadata (reader, node, error))
            return NULL;
          continue;
        }
      /* Counted before parsing so that its name is freed on failure. */
      if (!parse_tensor (&reader->tensors[reader->n_tensors++], name, node, error))
        return NULL;
    }

  if (!check_layout (reader, data + 8 + header_len, len - 8 - header_len, 8 + header_len, error))
    return NULL;
  return g_steal_pointer (&reader);
}

const RlStTensor *
rl_st_reader_get (const RlStReader *reader,
                  const char       *name)
{
  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (reader->by_name, name);
}

const RlStTensor *
rl_st_reader_get_tensors (const RlStReader *reader,
                          guint            *n_tensors)
{
  g_return_val_if_fail (reader != NULL, NULL);
  if (n_tensors)
    *n_tensors = reader->n_tensors;
  return reader->tensors;
}

GHashTable *
rl_st_reader_get_metadata (const RlStReader *reader)
{
  g_return_val_if_fail (reader != NULL, NULL);
  return reader->meta;
}

const char *
rl_st_reader_get_meta (const RlStReader *reader,
                       const char       *key)
{
  g_return_val_if_fail (reader != NULL, NULL);
  return g_hash_table_lookup (reader->meta, key);
}

/* Little-endian on disk: swap each element in place on a big-endian host. */
static void
to_from_le (guint8  *bytes,
            guint64  n_bytes,
            gsize    elem_size)
{
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (guint64 i = 0; i + elem_size <= n_bytes; i += elem_size)
    for (gsize j = 0; j < elem_size / 2; j++)
      {
        guint8 tmp = bytes[i + j];
        bytes[i + j] = bytes[i + elem_size - 1 - j];
        bytes[i + elem_size - 1 - j] = tmp;
      }
#else
  (void) bytes, (void) n_bytes, (void) elem_size;
#endif
}

void
rl_st_tensor_copy_f32 (const RlStTensor *tensor,
                       float            *out)
{
  g_return_if_fail (tensor != NULL && tensor->dtype == RL_ST_F32);
  memcpy (out, tensor->data, tensor->n_elements * 4);
  to_from_le ((guint8 *) out, tensor->n_elements * 4, 4);
}

void
rl_st_tensor_copy_f64 (const RlStTensor *tensor,
                       double           *out)
{
  g_return_if_fail (tensor != NULL && tensor->dtype == RL_ST_F64);
  memcpy (out, tensor->data, tensor->n_elements * 8);
  to_from_le ((guint8 *) out, tensor->n_elements * 8, 8);
}

/* ------------------------------------------------------------------ writer */

typedef struct
{
  char       *name;
  RlStDtype   dtype;
  guint       n_dims;
  guint64     shape[RL_ST_MAX_DIMS];
  guint64     n_bytes;
  const void *data;
} WriterEntry;

struct _RlStWriter
{
  GArray     *entries;     /* WriterEntry, in order of addition */
  GHashTable *names;       /* borrowed names, for duplicates */
  GPtrArray  *meta;        /* key, value, key, value … (owned) */
};

static void
writer_entry_clear (gpointer p)
{
  g_free (((WriterEntry *) p)->name);
}

RlStWriter *
rl_st_writer_new (void)
{
  RlStWriter *writer = g_new0 (RlStWriter, 1);

  writer->entries = g_array_new (FALSE, TRUE, sizeof (WriterEntry));
  g_array_set_clear_func (writer->entries, writer_entry_clear);
  writer->names = g_hash_table_new (g_str_hash, g_str_equal);
  writer->meta = g_ptr_array_new_with_free_func (g_free);
  return writer;
}

void
rl_st_writer_free (RlStWriter *writer)
{
  if (writer == NULL)
    return;
  g_hash_table_unref (writer->names);
  g_array_unref (writer->entries);
  g_ptr_array_unref (writer->meta);
  g_free (writer);
}

void
rl_st_writer_add_meta (RlStWriter *writer,
                       const char *key,
                       const char *value)
{
  g_return_if_fail (writer != NULL && key != NULL && value != NULL);

  for (guint i = 0; i < writer->meta->len; i += 2)
    if (g_strcmp0 (g_ptr_array_index (writer->meta, i), key) == 0)
      {
        g_free (g_ptr_array_index (writer->meta, i + 1));
        g_ptr_array_index (writer->meta, i + 1) = g_strdup (value);
        return;
      }
  g_ptr_array_add (writer->meta, g_strdup (key));
  g_ptr_array_add (writer->meta, g_strdup (value));
}

gboolean
rl_st_writer_add (RlStWriter    *writer,
                  const char    *name,
                  RlStDtype      dtype,
                  guint          n_dims,
                  const guint64 *shape,
                  const void    *data,
                  GError       **error)
{
  WriterEntry e = { 0, };
  guint64 n_elements;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail ((guint) dtype < G_N_ELEMENTS (dtypes), FALSE);
  g_return_val_if_fail (shape != NULL || n_dims == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_strcmp0 (name, "__metadata__") == 0 || g_hash_table_contains (writer->names, name))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "tensor name %s is reserved or used twice", name);
      return FALSE;
    }
  if (n_dims > RL_ST_MAX_DIMS || !shape_elements (n_dims, shape, &n_elements))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "tensor %s: shape too large", name);
      return FALSE;
    }
  if (n_elements > 0 && data == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "tensor %s: no data", name);
      return FALSE;
    }
  e.name = g_strdup (name);
  e.dtype = dtype;
  e.n_dims = n_dims;
  if (n_dims > 0)
    memcpy (e.shape, shape, n_dims * sizeof (guint64));
  e.n_bytes = n_elements * rl_st_dtype_size (dtype);
  e.data = data;
  g_array_append_val (writer->entries, e);
  g_hash_table_add (writer->names, e.name);
  return TRUE;
}

GBytes *
rl_st_writer_finish (RlStWriter  *writer,
                     GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  guint64 offset = 0, header_len, total, le_len;
  gsize json_len;
  guint8 *buf;

  g_return_val_if_fail (writer != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  json_builder_begin_object (builder);
  if (writer->meta->len > 0)
    {
      json_builder_set_member_name (builder, "__metadata__");
      json_builder_begin_object (builder);
      for (guint i = 0; i < writer->meta->len; i += 2)
        {
          json_builder_set_member_name (builder, g_ptr_array_index (writer->meta, i));
          json_builder_add_string_value (builder, g_ptr_array_index (writer->meta, i + 1));
        }
      json_builder_end_object (builder);
    }
  for (guint i = 0; i < writer->entries->len; i++)
    {
      WriterEntry *e = &g_array_index (writer->entries, WriterEntry, i);

      json_builder_set_member_name (builder, e->name);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dtype");
      json_builder_add_string_value (builder, rl_st_dtype_name (e->dtype));
      json_builder_set_member_name (builder, "shape");
      json_builder_begin_array (builder);
      for (guint d = 0; d < e->n_dims; d++)
        json_builder_add_int_value (builder, (gint64) e->shape[d]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "data_offsets");
      json_builder_begin_array (builder);
      json_builder_add_int_value (builder, (gint64) offset);
      json_builder_add_int_value (builder, (gint64) (offset + e->n_bytes));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      if (!g_uint64_checked_add (&offset, offset, e->n_bytes))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "tensors too large");
          return NULL;
        }
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, &json_len);
  header_len = (json_len + 7) / 8 * 8;
  if (header_len > RL_ST_MAX_HEADER_BYTES
      || !g_uint64_checked_add (&total, 8 + header_len, offset) || total > G_MAXSIZE)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "safetensors file would be too large");
      return NULL;
    }
  buf = g_try_malloc (total);
  if (buf == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "out of memory for a %" G_GUINT64_FORMAT "-byte file", total);
      return NULL;
    }
  le_len = GUINT64_TO_LE (header_len);
  memcpy (buf, &le_len, 8);
  memcpy (buf + 8, json, json_len);
  memset (buf + 8 + json_len, ' ', header_len - json_len);
  offset = 8 + header_len;
  for (guint i = 0; i < writer->entries->len; i++)
    {
      WriterEntry *e = &g_array_index (writer->entries, WriterEntry, i);

      if (e->n_bytes > 0)
        {
          memcpy (buf + offset, e->data, e->n_bytes);
          to_from_le (buf + offset, e->n_bytes, rl_st_dtype_size (e->dtype));
        }
      offset += e->n_bytes;
    }
  return g_bytes_new_take (buf, total);
}
