package io.gradscale.cli.live;

import io.gradscale.cli.report.HtmlReport;
import io.gradscale.train.MetricsLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Follows a run directory's {@code metrics.jsonl} as it grows, like {@code tail -f}: each call reads the
 * complete lines appended since the last one (a line still being written waits for its newline). A log
 * that shrinks was replaced by a new run, and is read again from the start. The run is finished once its
 * {@code diagnosis.json} exists: gradscale writes it after training ends; a log written by other code
 * (e.g. a Spark job) shows as live until that file appears.
 */
final class LogFollower implements RecordSource {
    /** How long a {@code diagnosis.json} that does not parse is taken to be still in writing. */
    static final long DIAGNOSIS_SETTLE_MILLIS = 5_000;

    private final Path log;
    private final Path diagnosis;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private long position;
    private long lineNo;

    LogFollower(Path runDir) {
        this.log = runDir.resolve(MetricsLog.FILE_NAME);
        this.diagnosis = runDir.resolve(HtmlReport.DIAGNOSIS_FILE);
    }

    @Override
    public boolean drainInto(LiveRun run) throws IOException {
        boolean changed = false;
        long size;
        try {
            size = Files.size(log);
        } catch (NoSuchFileException e) {
            return false;
        }
        if (size < position) {
            position = 0;
            lineNo = 0;
            partial.reset();
            run.reset();
            changed = true;
        }
        if (size > position) {
            changed |= readFrom(run, size);
        }
        if (!run.finished() && Files.exists(diagnosis) && position == size && partial.size() == 0) {
            try {
                run.finish(HtmlReport.readVerdicts(diagnosis), "final diagnosis from " + diagnosis.getFileName());
                changed = true;
            } catch (IOException e) {
                // possibly still being written: only a file left unreadable for a while is an error
                long age = System.currentTimeMillis() - Files.getLastModifiedTime(diagnosis).toMillis();
                if (age > DIAGNOSIS_SETTLE_MILLIS) {
                    throw e;
                }
            }
        }
        return changed;
    }

    private boolean readFrom(LiveRun run, long size) throws IOException {
        boolean changed = false;
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            ch.position(position);
            while (position < size) {
                buf.clear();
                int n = ch.read(buf);
                if (n <= 0) {
                    break;
                }
                position += n;
                byte[] bytes = buf.array();
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (bytes[i] == '\n') {
                        partial.write(bytes, start, i - start);
                        changed |= line(run, partial.toString(StandardCharsets.UTF_8));
                        partial.reset();
                        start = i + 1;
                    }
                }
                partial.write(bytes, start, n - start);
            }
        }
        return changed;
    }

    private boolean line(LiveRun run, String line) throws IOException {
        lineNo++;
        if (line.isBlank()) {
            return false;
        }
        try {
            run.add(MetricsLog.parseLine(line));
        } catch (IOException e) {
            throw new IOException(log + ", line " + lineNo + ": not a metrics record: " + e.getMessage(), e);
        }
        return true;
    }
}
