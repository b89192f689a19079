/**
 * Data sets held in memory, the readers that fill them, and the synthetic tasks of the gradient
 * literature.
 *
 * <p>A {@link io.gradscale.data.Dataset} is a features tensor {@code [n, ...]} plus either float
 * regression targets or integer class labels, described by a {@link io.gradscale.data.Task}.
 * Readers: {@link io.gradscale.data.CsvDataset} (RFC 4180 CSV with a header),
 * {@link io.gradscale.data.IdxReader} (the MNIST IDX format, plain or gzip) and
 * {@link io.gradscale.data.SequenceCsv} (time series cut into windows by
 * {@link io.gradscale.data.Windows}). Every reader fails on bad input with a
 * {@link io.gradscale.data.DataFormatException} naming the file, the line and the column; nothing is
 * skipped silently. The synthetic tasks are in {@link io.gradscale.data.tasks}.
 */
package io.gradscale.data;
