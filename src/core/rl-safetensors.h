/* rl-safetensors.h — a small, strict reader and writer of safetensors files.
 *
 * Layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * u64 N, then N bytes of UTF-8 JSON (an object, possibly padded at the end
 * with spaces), then the tensor bytes, little-endian, row-major. The JSON maps
 * each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} with
 * offsets relative to the start of the byte buffer, and may hold a
 * "__metadata__" object of string → string.
 *
 * The reader checks everything: header length against a ceiling and the
 * buffer, well-formed UTF-8 JSON without duplicate keys, known dtypes,
 * integer shapes whose element count (overflow-checked, and at most
 * RL_ST_MAX_ELEMENTS) times the dtype size equals end − begin, offsets in
 * bounds, and tensors that cover the byte buffer exactly, without holes or
 * overlaps. Tensor data is never aligned; copy it out with the helpers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RL_ST_MAX_HEADER_BYTES  (100u * 1000u * 1000u)
#define RL_ST_MAX_DIMS          8u
#define RL_ST_MAX_ELEMENTS      (G_GUINT64_CONSTANT (1) << 32)

typedef enum
{
  RL_ST_BOOL, RL_ST_U8, RL_ST_I8, RL_ST_F8_E5M2, RL_ST_F8_E4M3,
  RL_ST_I16, RL_ST_U16, RL_ST_F16, RL_ST_BF16,
  RL_ST_I32, RL_ST_U32, RL_ST_F32,
  RL_ST_I64, RL_ST_U64, RL_ST_F64,
} RlStDtype;

const char *rl_st_dtype_name (RlStDtype dtype);
gsize       rl_st_dtype_size (RlStDtype dtype);

typedef struct
{
  const char   *name;                    /* owned by the reader */
  RlStDtype     dtype;
  guint         n_dims;
  guint64       shape[RL_ST_MAX_DIMS];
  guint64       n_elements;
  guint64       begin, end;              /* relative to the byte buffer */
  const guint8 *data;                    /* points into the caller's bytes */
} RlStTensor;

/* "[512,256]" (newly allocated). */
char *rl_st_format_shape (guint n_dims, const guint64 *shape);

typedef struct _RlStReader RlStReader;

/* Parses and validates data (not copied: it must outlive the reader). */
RlStReader       *rl_st_reader_new          (const guint8     *data,
                                             gsize             len,
                                             GError          **error);
void              rl_st_reader_free         (RlStReader       *reader);
/* NULL when absent. */
const RlStTensor *rl_st_reader_get          (const RlStReader *reader,
                                             const char       *name);
/* Tensors in file order (by offset). Points into the reader. */
const RlStTensor *rl_st_reader_get_tensors  (const RlStReader *reader,
                                             guint            *n_tensors);
/* The __metadata__ map (char* → char*), never NULL; owned by the reader. */
GHashTable       *rl_st_reader_get_metadata (const RlStReader *reader);
const char       *rl_st_reader_get_meta     (const RlStReader *reader,
                                             const char       *key);

/* Copy a tensor's elements to host order (byte-swapped on big-endian hosts).
 * out holds tensor->n_elements values; the dtype must match (g_return). */
void rl_st_tensor_copy_f32 (const RlStTensor *tensor, float  *out);
void rl_st_tensor_copy_f64 (const RlStTensor *tensor, double *out);

typedef struct _RlStWriter RlStWriter;

RlStWriter *rl_st_writer_new      (void);
void        rl_st_writer_free     (RlStWriter   *writer);
void        rl_st_writer_add_meta (RlStWriter   *writer,
                                   const char   *key,
                                   const char   *value);
/* data is borrowed (not copied) until rl_st_writer_finish. Fails on a
 * duplicate or reserved name, too many dims or an absurd element count. */
gboolean    rl_st_writer_add      (RlStWriter    *writer,
                                   const char    *name,
                                   RlStDtype      dtype,
                                   guint          n_dims,
                                   const guint64 *shape,
                                   const void    *data,
                                   GError       **error);
/* The whole file: header padded with spaces to a multiple of 8 bytes, then
 * the tensors, contiguous, in the order they were added. */
GBytes     *rl_st_writer_finish   (RlStWriter   *writer,
                                   GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlStReader, rl_st_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlStWriter, rl_st_writer_free)

G_END_DECLS
