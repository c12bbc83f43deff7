/* rl-modelfile.h — model files in the safetensors format.
 *
 * Header: 8-byte little-endian length, then JSON:
 *   "__metadata__": {"format":"ranklab-mlp","version":"1","sizes":"784,1028,512,256,10",
 *                    "activations":"relu,relu,relu,sigmoid", … model->meta …}
 *   "layers.<i>.weight" F32 [in,out]        dense layer
 *   "layers.<i>.a"      F32 [in,rank]       factored layer (U_r·Σ_r)
 *   "layers.<i>.b"      F32 [rank,out]      factored layer (V_rᵀ)
 *   "layers.<i>.bias"   F32 [out]
 * then the little-endian tensor bytes. Every offset and size is checked. */
#pragma once

#include <glib.h>
#include "rl-model.h"

G_BEGIN_DECLS

/* Documented ceiling on a model file's size. */
#define RL_MODELFILE_MAX_BYTES  (512u * 1024u * 1024u)

/* Atomic save (temporary file in the same folder, fsync, rename). */
gboolean  rl_model_save            (const RlModel *model,
                                    const char    *path,
                                    GError       **error);
GBytes   *rl_model_serialize       (const RlModel *model,
                                    GError       **error);

/* A new model, or NULL and an error naming the layer/tensor at fault. */
RlModel  *rl_model_load            (const char    *path,
                                    GError       **error);
RlModel  *rl_model_deserialize     (const guint8  *data,
                                    gsize          len,
                                    GError       **error);

/* Where a save to path writes: path itself, or for a symbolic link the file
 * it leads to (made if it does not exist yet). NULL with an error when that
 * exists and is not a regular file: the rename of an atomic save would
 * replace a FIFO, a device or /dev/stdout with a file. Free with g_free. */
char     *rl_file_save_target      (const char    *path,
                                    GError       **error);

/* Generic atomic write used by every saver in the project: to
 * rl_file_save_target (path), through a temporary file, fsync and rename. */
gboolean  rl_file_replace_atomic   (const char    *path,
                                    const void    *data,
                                    gsize          len,
                                    GError       **error);

/* Reads a whole regular file of at most max_bytes (checked before reading,
 * so a huge file or a device is refused without allocating). Errors name
 * the path. */
GBytes   *rl_file_read_bounded     (const char    *path,
                                    gsize          max_bytes,
                                    GError       **error);

G_END_DECLS
