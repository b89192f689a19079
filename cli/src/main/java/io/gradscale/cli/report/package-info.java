/**
 * The HTML report of a training run: one self-contained file, charts drawn by the inlined Apache
 * ECharts build, data embedded as JSON. It reads only what a run directory holds: the metrics log
 * ({@link io.gradscale.train.MetricsLog}) and, when present, the doctor's {@code diagnosis.json}.
 */
package io.gradscale.cli.report;
