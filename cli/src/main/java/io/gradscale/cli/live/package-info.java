/**
 * The live view: {@code train --live}, {@code diagnose --live} and {@code watch RUN_DIR} serve a run's page in
 * the browser while it trains. {@link io.gradscale.cli.live.LiveFeed} takes the trainer's records without
 * blocking it; {@link io.gradscale.cli.live.LiveServer} (Jetty) streams the page's state as server-sent events;
 * the page is the HTML report's ({@link io.gradscale.cli.report.LivePage}).
 */
package io.gradscale.cli.live;
