/**
 * File formats for checkpoints, and writing them so that a crash never destroys a good one.
 *
 * <p>{@link io.gradscale.io.Safetensors} reads and writes the safetensors format
 * (https://github.com/huggingface/safetensors) so that PyTorch loads gradscale weights under their
 * PyTorch names; {@link io.gradscale.io.AtomicFiles} writes a file by temporary file, fsync and
 * atomic rename; {@link io.gradscale.io.Checkpoint} combines both into a checksummed checkpoint
 * directory of weights and JSON state. A malformed or corrupted file fails with a
 * {@link io.gradscale.io.FileFormatException} naming the file and what is wrong.
 */
package io.gradscale.io;
