/* rl-npz.h — NumPy .npz archives (what numpy.savez writes): a ZIP of .npy
 * files, stored without compression.
 *
 * Each member "<name>.npy" is an NPY v1.0 file: the magic "\x93NUMPY", the
 * version 1.0, a little-endian uint16 header length, then a Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (m, n), }
 * padded with spaces and ended by '\n' so that the data starts on a 64-byte
 * boundary, then the float32 data in C order, little-endian.
 *
 * The ZIP holds a local file header before each member, then a central
 * directory and its end record (no ZIP64: an archive is refused above
 * 4 GiB, far beyond RL_MODELFILE_MAX_BYTES). CRC-32 is the ZIP/zlib one
 * (polynomial 0xEDB88320). */
#pragma once

#include <glib.h>

#include "rl-model.h"

G_BEGIN_DECLS

#define RL_NPZ_MAX_DIMS 4u

typedef struct _RlNpzWriter RlNpzWriter;

RlNpzWriter *rl_npz_writer_new        (void);
void         rl_npz_writer_free       (RlNpzWriter   *writer);
/* Adds "<name>.npy" with a float32 array of the given shape (C order).
 * Names must be unique, non-empty, without '/' or NUL. */
gboolean     rl_npz_writer_add_f32    (RlNpzWriter   *writer,
                                       const char    *name,
                                       guint          n_dims,
                                       const guint64 *shape,
                                       const float   *data,
                                       GError       **error);
/* The whole archive; the writer may not be used afterwards. */
GBytes      *rl_npz_writer_finish     (RlNpzWriter   *writer,
                                       GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlNpzWriter, rl_npz_writer_free)

/* The model's tensors under the safetensors names (rl-modelfile.h):
 * layers.<i>.weight [in,out], or layers.<i>.a [in,r] and layers.<i>.b
 * [r,out] for a factored layer, and layers.<i>.bias [out]. */
GBytes      *rl_npz_serialize_model   (const RlModel *model,
                                       GError       **error);
/* Atomic save (rl_file_replace_atomic). */
gboolean     rl_npz_save_model        (const RlModel *model,
                                       const char    *path,
                                       GError       **error);

/* CRC-32 as in ZIP, gzip and zlib's crc32(): start with crc = 0 and feed
 * the running value back to continue. */
guint32      rl_crc32                 (guint32        crc,
                                       const void    *data,
                                       gsize          len);

G_END_DECLS
