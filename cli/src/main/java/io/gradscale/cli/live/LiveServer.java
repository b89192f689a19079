package io.gradscale.cli.live;

import io.gradscale.cli.report.LivePage;
import io.gradscale.cli.report.LiveState;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.Verdict;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Serves the live view of a run over HTTP (Jetty): the page at {@code /} and its updates as server-sent
 * events at {@code /events}.
 *
 * <p>One publishing thread drains the {@link RecordSource} every {@link #PUBLISH_INTERVAL_MILLIS}, and when
 * anything changed and its budget ({@link #PUBLISH_SHARE}) allows, builds one update: what changed since the
 * previous one ({@link LiveState#delta}: new chart rows, changed sections), numbered, sent to every browser
 * that follows. A browser that connects (a new tab, a reload, a page that saw a gap in the numbers and
 * reconnects) first gets the whole state ({@link LiveState#full}, built once per number however many ask),
 * then the deltas after it. Each browser has its own queue; one that falls more than {@link #MAX_QUEUED_BYTES}
 * behind (stalled, or closed without the server noticing yet) has its queue dropped and gets the whole state
 * again, so a slow or stalled browser costs neither the trainer nor the other browsers anything. Writes are
 * asynchronous; no thread waits on a socket. The training thread never touches the server: it only offers
 * records to {@link LiveFeed}'s queue.
 *
 * <p>The server only answers {@code GET /} and {@code GET /events}; it takes no input that reaches the
 * run. It has no authentication and no TLS, which is why it binds to the loopback address unless told
 * otherwise.
 */
public final class LiveServer implements AutoCloseable {
    /** Default TCP port; {@code --port 0} asks the system for a free one. */
    public static final int DEFAULT_PORT = 8765;
    /** Default address to bind: loopback only, so that nothing outside this machine sees the run. */
    public static final String DEFAULT_BIND = "127.0.0.1";
    /**
     * How often the publishing thread moves new records from the source into the page's state, whether or not it
     * publishes: often enough that a record the trainer made is dropped before the collector's young-generation
     * passes would have to copy it (a live run that held its records until its rare updates spent 25 times longer
     * in those passes than a plain one: docs/PERFORMANCE.md, issue 18). At 100 ms, the thousand-odd records a
     * trainer makes in that time were still queued at most young collections, whose pauses took 1.1-2.2 ms against
     * a plain run's 0.8 ms; at 20 ms, 0.9-1.0 ms, for fifty wake-ups a second.
     */
    static final long DRAIN_INTERVAL_MILLIS = 20;
    /**
     * Shortest wait between two updates: once a second. Each update costs the training process more than its build
     * (the writes to every browser, and the compilation of the code that builds and writes it), and the browser redraws
     * the charts after each; at twice a second a browser attached cost a pinned trainer about 10 % of its speed.
     */
    static final long PUBLISH_INTERVAL_MILLIS = 1000;
    /**
     * Share of the trainer's processor time the live view may spend building updates: after an update that
     * cost t of processor time, the next one waits until the training thread has computed for t / PUBLISH_SHARE
     * (a run in another process: until that much wall time has passed). While the training thread waits (or
     * has ended), an update costs it nothing and is not held back.
     */
    static final double PUBLISH_SHARE = 0.01;
    /** Longest wait between updates, however long the last one took: the page lags the run by at most about this. */
    static final long MAX_PUBLISH_INTERVAL_MILLIS = 30_000;
    /** How long {@link #close} waits for connected browsers to receive the final update. */
    static final long FINAL_DELIVERY_MILLIS = 5_000;
    /** A comment line sent this often keeps idle connections open through proxies and finds closed ones. */
    static final long HEARTBEAT_MILLIS = 15_000;
    /** Browsers served at once; more get 503, so that a crowd of them cannot slow the trainer. */
    static final int MAX_CLIENTS = 16;
    /** Bytes queued for one browser beyond which its queue is dropped and it gets the whole state instead. */
    static final long MAX_QUEUED_BYTES = 1 << 20;

    private static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.US_ASCII);
    /** The stream's first bytes: the browser reconnects 2 s after a break (SSE {@code retry}). */
    private static final byte[] OPENING = "retry: 2000\n\n".getBytes(StandardCharsets.US_ASCII);

    private final Server server;
    private final ServerConnector connector;
    private final ScheduledExecutorService publisher;
    private final RecordSource source;
    private final LiveRun run;
    private final byte[] page;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    // the last full state built, and its number: the publishing thread's
    private byte[] fullMessage;
    private long fullSeq = -1;
    private final CompletableFuture<Void> failed = new CompletableFuture<>();
    private volatile boolean changed = true;
    // the publishing thread's accounts: processor time of the last update, and the producer's and the wall clock then
    private long lastCost;
    private long producerAtLast;
    private long wallAtLast;

    private LiveServer(String bind, int port, String title, RecordSource source, ModelFacts facts) throws IOException {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("--port must be between 0 (any free port) and 65535, got " + port);
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--bind: cannot resolve '" + bind + "' to an address of this machine", e);
        }
        if (!address.isAnyLocalAddress() && java.net.NetworkInterface.getByInetAddress(address) == null) {
            throw new IllegalArgumentException("--bind: " + address.getHostAddress() + " ('" + bind + "') is not an address of"
                    + " this machine; use " + DEFAULT_BIND + " (this machine only), an address of one of its network"
                    + " interfaces, or 0.0.0.0 (all of them)");
        }
        this.source = source;
        this.run = new LiveRun(facts);
        this.page = LivePage.shell(title, "events").getBytes(StandardCharsets.UTF_8);
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName("gradscale-live-http");
        pool.setDaemon(true);
        pool.setReservedThreads(0);
        server = new Server(pool);
        connector = new ServerConnector(server, 1, 1);
        connector.setHost(address.getHostAddress());
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Routes());
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly();
            if (hasCause(e, BindException.class)) {
                throw new IllegalArgumentException("cannot serve the live view on " + hostPort(address, port)
                        + ": the port is already in use (or not available to this user); choose another with --port,"
                        + " or --port 0 for any free one", e);
            }
            throw new IOException("cannot start the live view's server on " + hostPort(address, port) + ": " + e.getMessage(), e);
        }
        publisher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gradscale-live-publisher");
            t.setDaemon(true);
            return t;
        });
        publisher.execute(this::publishAndReschedule);
        publisher.scheduleWithFixedDelay(this::heartbeat, HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts serving the live view of a training run in this process; {@link LiveFeed} is the listener to
     * add to the trainer.
     *
     * @throws IllegalArgumentException when the port is taken or the address cannot be bound
     */
    public static LiveServer forTraining(String bind, int port, String title, LiveFeed feed, ModelFacts facts) throws IOException {
        return new LiveServer(bind, port, title, feed, facts);
    }

    /** Starts serving the live view of the run in {@code runDir}, following its metrics log. */
    public static LiveServer forRunDir(String bind, int port, String title, java.nio.file.Path runDir) throws IOException {
        return new LiveServer(bind, port, title, new LogFollower(runDir), ModelFacts.unknown());
    }

    /** The port served, the chosen one when 0 was asked for. */
    public int port() {
        return connector.getLocalPort();
    }

    /** The page's address. */
    public String url() {
        try {
            return "http://" + hostPort(InetAddress.getByName(connector.getHost()), port()) + "/";
        } catch (UnknownHostException e) {
            throw new IllegalStateException("the bound address no longer resolves: " + connector.getHost(), e);
        }
    }

    /** Browsers connected to the event stream now. */
    public int clients() {
        return clients.size();
    }

    /**
     * Marks the run finished with its final diagnosis, and sends that last update; waits at most until
     * the publishing thread has built it.
     */
    public void finish(List<Verdict> verdicts, String note) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        publisher.execute(() -> {
            try {
                source.drainInto(run);
                run.finish(verdicts, note);
                changed = true;
                publish();
            } catch (IOException | RuntimeException e) {
                fail(e);
            } finally {
                done.complete(null);
            }
        });
        try {
            done.get(FINAL_DELIVERY_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the final update is late: close() still waits for delivery, then stops
        }
    }

    /** Completes exceptionally when the source fails (e.g. a malformed line in a followed log). */
    public CompletableFuture<Void> failure() {
        return failed;
    }

    /**
     * Drains the source, publishes when {@link #PUBLISH_INTERVAL_MILLIS} has passed and the budget of
     * {@link #PUBLISH_SHARE} allows, then looks again after {@link #DRAIN_INTERVAL_MILLIS}.
     */
    private void publishAndReschedule() {
        drain();
        long now = System.nanoTime();
        // the producer's processor time is read only when an update may be due (a browser is connected and the
        // interval has passed): reading it costs more than a drain
        boolean due = !clients.isEmpty() && now - wallAtLast >= TimeUnit.MILLISECONDS.toNanos(PUBLISH_INTERVAL_MILLIS);
        if (due) {
            long producer = source.producerCpuNanos();
            due = lastCost == 0
                    || (producer >= 0 ? producer - producerAtLast : now - wallAtLast) >= lastCost / PUBLISH_SHARE
                    || producer < 0 && source.inProcess()
                    || now - wallAtLast >= TimeUnit.MILLISECONDS.toNanos(MAX_PUBLISH_INTERVAL_MILLIS);
        }
        if (due) {
            // processor time, not wall time: on a crowded machine the thread also waits for its turn
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long start = threads.getCurrentThreadCpuTime();
            if (publish()) {
                lastCost = Math.max(1, threads.getCurrentThreadCpuTime() - start);
                producerAtLast = source.producerCpuNanos();
                wallAtLast = now;
            }
        }
        if (!publisher.isShutdown()) {
            publisher.schedule(this::publishAndReschedule, DRAIN_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Moves the records that arrived into the run's state (a failing source ends the live view: {@link #fail}). */
    private void drain() {
        if (failed.isDone()) {
            return;
        }
        try {
            changed |= source.drainInto(run);
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    /**
     * Drains the source; if anything changed and a browser is connected, sends the followers a delta (or the
     * whole state, when the page's structure changed) and the newcomers the whole state. True when it built one.
     */
    private boolean publish() {
        if (failed.isDone()) {
            return false;
        }
        try {
            changed |= source.drainInto(run);
            // With no browser connected nothing is built; the first one to connect gets the whole state (welcome).
            if (clients.isEmpty() || !changed && clients.stream().allMatch(c -> c.following)) {
                return false;
            }
            LiveState state = changed ? run.update(source.verdicts(), source.dropped()) : run.state();
            changed = false;
            boolean built = false;
            if (state.changed()) {
                if (state.needsFull()) {
                    byte[] full = full(state);
                    clients.forEach(c -> c.restart(full));
                    return true;
                }
                clients.forEach(Client::dropIfLagging);
                if (clients.stream().anyMatch(c -> c.following)) {
                    byte[] delta = state.delta();
                    clients.forEach(c -> c.follow(delta));
                    built = true;
                }
            }
            return welcomeNewcomers(state) || built;
        } catch (IOException | RuntimeException e) {
            fail(e);
            return false;
        }
    }

    /** Sends the whole state to the browsers that have not had it; true when it had to be built. */
    private boolean welcomeNewcomers(LiveState state) {
        if (clients.stream().allMatch(c -> c.following)) {
            return false;
        }
        boolean building = state.changed() || fullSeq != state.seq();
        byte[] full = full(state);
        clients.forEach(c -> {
            if (!c.following) {
                c.restart(full);
            }
        });
        return building;
    }

    /** The whole state, built at most once per message number. */
    private byte[] full(LiveState state) {
        if (state.changed() || fullSeq != state.seq()) {
            fullMessage = state.full();
            fullSeq = state.seq();
        }
        return fullMessage;
    }

    /** A browser connected: it gets the whole state now, not at the next turn (a reload shows the run at once). */
    private void welcome() {
        if (failed.isDone()) {
            return;
        }
        if (changed) {
            publish();
        } else {
            try {
                welcomeNewcomers(run.state());
            } catch (RuntimeException e) {
                fail(e);
            }
        }
    }

    private void fail(Exception e) {
        if (failed.completeExceptionally(e)) {
            String status = "{\"finished\":false,\"status\":" + io.gradscale.train.Json.mapper().valueToTree(
                    "stopped: " + e.getMessage()) + ",\"step\":-1,\"error\":true}";
            byte[] message = event("failure", status);
            clients.forEach(c -> c.send(message));
        }
    }

    private void heartbeat() {
        clients.forEach(c -> c.sendIfIdle(HEARTBEAT));
    }

    private static byte[] event(String name, String json) {
        return ("event: " + name + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Stops serving: waits up to {@link #FINAL_DELIVERY_MILLIS} for every browser to have received the
     * newest update (so a finished run's page says "finished"), then closes the connections.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FINAL_DELIVERY_MILLIS);
        while (clients.stream().anyMatch(Client::busy) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        publisher.shutdownNow();
        clients.forEach(Client::end);
        stopQuietly();
    }

    private void stopQuietly() {
        try {
            server.stop();
        } catch (Exception e) {
            // stopping a server that failed to start, or whose connections are already gone: nothing to undo
        }
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static String hostPort(InetAddress address, int port) {
        String host = address.getHostAddress();
        return (address instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port;
    }

    /** The two routes. */
    private final class Routes extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            if (!"GET".equals(request.getMethod())) {
                Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
                return true;
            }
            switch (path) {
                case "/", "/index.html" -> {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
                    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                    response.write(true, ByteBuffer.wrap(page), callback);
                }
                case "/events" -> stream(response, callback);
                default -> Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
            }
            return true;
        }

        private void stream(Response response, Callback callback) {
            if (clients.size() >= MAX_CLIENTS) {
                response.setStatus(HttpStatus.SERVICE_UNAVAILABLE_503);
                Content.Sink.write(response, true, "at most " + MAX_CLIENTS + " browsers at once\n", callback);
                return;
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            Client client = new Client(response, callback);
            client.send(OPENING);
            clients.add(client);
            try {
                publisher.execute(LiveServer.this::welcome);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the server is stopping: the browser gets the end of the stream
            }
        }
    }

    /**
     * One browser's event stream: a queue of messages, at most one write in flight. Until it has had the whole
     * state it gets no delta ({@link #following}, set by the publishing thread only).
     */
    private final class Client {
        private final Response response;
        private final Callback done;
        private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
        private final AtomicLong queuedBytes = new AtomicLong();
        private final AtomicBoolean writing = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();
        volatile boolean following;

        Client(Response response, Callback done) {
            this.response = response;
            this.done = done;
        }

        void send(byte[] message) {
            queuedBytes.addAndGet(message.length);
            queue.offer(message);
            pump();
        }

        void sendIfIdle(byte[] message) {
            if (!writing.get() && queue.isEmpty()) {
                send(message);
            }
        }

        /** The next delta, for a browser that follows. */
        void follow(byte[] delta) {
            if (following) {
                send(delta);
            }
        }

        /** The whole state: whatever was queued is superseded by it; the browser follows from here on. */
        void restart(byte[] full) {
            clear();
            following = true;
            send(full);
        }

        /** A browser too far behind stops following: it gets the whole state at this turn (welcomeNewcomers). */
        void dropIfLagging() {
            if (following && queuedBytes.get() > MAX_QUEUED_BYTES) {
                following = false;
                clear();
            }
        }

        private void clear() {
            for (byte[] m = queue.poll(); m != null; m = queue.poll()) {
                queuedBytes.addAndGet(-m.length);
            }
        }

        boolean busy() {
            return !closed.get() && (writing.get() || !queue.isEmpty());
        }

        private void pump() {
            while (!closed.get() && writing.compareAndSet(false, true)) {
                byte[] message = queue.poll();
                if (message == null) {
                    writing.set(false);
                    if (queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                queuedBytes.addAndGet(-message.length);
                response.write(false, ByteBuffer.wrap(message), Callback.from(() -> {
                    writing.set(false);
                    pump();
                }, this::failed));
                return;
            }
        }

        private void failed(Throwable t) {
            // the browser went away (closed, reloaded): forget it; training never notices
            if (closed.compareAndSet(false, true)) {
                clients.remove(this);
                done.failed(t);
            }
        }

        void end() {
            if (closed.compareAndSet(false, true)) {
                clients.remove(this);
                if (writing.get()) {
                    // still sending to a browser that stopped reading: give up on it
                    done.failed(new IOException("the live view stopped"));
                } else {
                    response.write(true, ByteBuffer.allocate(0), done);
                }
            }
        }
    }
}
