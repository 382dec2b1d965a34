package dev.lakelifecycle.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A small HTTP/1.1 proxy on 127.0.0.1 in front of the S3 server that injects faults into chosen requests:
 * a {@code 503 SlowDown} answer, a connection reset halfway through the request body, or a request that
 * reaches the server but whose answer is lost (the connection is reset instead). Every request goes to the
 * server on its own connection ({@code Connection: close}), so faults hit exactly one request. Headers,
 * including {@code Host}, are forwarded unchanged, so SigV4 signatures stay valid.
 */
final class FaultProxy implements AutoCloseable {
  /** What to do to a matching request. */
  enum Fault { SLOW_DOWN_503, RESET_MID_BODY, LOSE_RESPONSE }

  /** One request as the proxy saw it. */
  record Request(int index, String method, String target, Map<String, String> headers, int bodyLength) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    boolean isUploadPart() {
      return method.equals("PUT") && target.contains("partNumber=");
    }

    boolean isComplete() {
      return method.equals("POST") && target.contains("uploadId=");
    }

    boolean isConditionalPut() {
      return method.equals("PUT") && (header("if-none-match") != null || header("if-match") != null);
    }
  }

  private record Rule(Predicate<Request> when, Fault fault, AtomicInteger remaining, Runnable before) {}

  private final ServerSocket server;
  private final URI upstream;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fault-proxy");
    t.setDaemon(true);
    return t;
  });
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final List<Request> seen = Collections.synchronizedList(new ArrayList<>());
  private final List<String> injected = Collections.synchronizedList(new ArrayList<>());
  private final List<String> clientErrors = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger counter = new AtomicInteger();
  private volatile boolean closed;

  FaultProxy(URI upstream) throws IOException {
    this.upstream = upstream;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    pool.submit(this::acceptLoop);
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** Applies {@code fault} to the next {@code times} requests that match {@code when}. */
  FaultProxy inject(Predicate<Request> when, Fault fault, int times) {
    rules.add(new Rule(when, fault, new AtomicInteger(times), null));
    return this;
  }

  /** Like {@link #inject}, running {@code before} (e.g. a competing write) before the fault is applied. */
  FaultProxy inject(Predicate<Request> when, Fault fault, int times, Runnable before) {
    rules.add(new Rule(when, fault, new AtomicInteger(times), before));
    return this;
  }

  /** Applies {@code fault} to the request with this 1-based index (counted over all requests). */
  FaultProxy injectAt(int n, Fault fault) {
    return inject(r -> r.index() == n, fault, 1);
  }

  /** Every request seen, in arrival order. */
  List<Request> requests() {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  /** A line per injected fault: "fault method target". */
  List<String> injected() {
    synchronized (injected) {
      return List.copyOf(injected);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        pool.submit(() -> serve(client));
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException("fault proxy accept failed", e);
        }
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
          int colon = lines[i].indexOf(':');
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        if (headers.containsKey("transfer-encoding")) {
          throw new IllegalStateException("fault proxy handles Content-Length bodies only: " + lines[0]);
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        Request req = new Request(counter.incrementAndGet(), requestLine[0], requestLine[1], headers, length);
        seen.add(req);
        Rule rule = match(req);
        if (rule != null && rule.before() != null) {
          rule.before().run();
        }
        Fault fault = rule == null ? null : rule.fault();
        if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
          out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
        if (fault == Fault.RESET_MID_BODY) {
          in.readNBytes(length / 2);
          injected.add(fault + " " + req.method() + " " + req.target());
          reset(client);
          return;
        }
        byte[] body = in.readNBytes(length);
        if (fault == Fault.SLOW_DOWN_503) {
          injected.add(fault + " " + req.method() + " " + req.target());
          byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce"
              + " your request rate.</Message><RequestId>FAULT" + req.index() + "</RequestId></Error>")
              .getBytes(StandardCharsets.UTF_8);
          out.write(("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: " + xml.length
              + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(xml);
          out.flush();
          return;
        }
        byte[] response = forward(lines[0], headers, body);
        if (fault == Fault.LOSE_RESPONSE) {
          injected.add(fault + " " + req.method() + " " + req.target());
          reset(client);
          return;
        }
        out.write(response);
        out.flush();
      }
    } catch (IOException e) {
      // The client gave up on the connection (e.g. after a reset it caused itself); nothing to answer.
      if (!closed) {
        clientErrors.add(e.toString());
      }
    }
  }

  private synchronized Rule match(Request req) {
    for (Rule r : rules) {
      if (r.remaining().get() > 0 && r.when().test(req) && r.remaining().getAndDecrement() > 0) {
        return r;
      }
    }
    return null;
  }

  private byte[] forward(String requestLine, Map<String, String> headers, byte[] body) throws IOException {
    try (Socket up = new Socket(upstream.getHost(), upstream.getPort())) {
      StringBuilder sb = new StringBuilder(requestLine).append("\r\n");
      headers.forEach((k, v) -> {
        if (!k.equals("connection") && !k.equals("expect")) {
          sb.append(k).append(": ").append(v).append("\r\n");
        }
      });
      sb.append("connection: close\r\n\r\n");
      OutputStream o = up.getOutputStream();
      o.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
      o.write(body);
      o.flush();
      return up.getInputStream().readAllBytes();
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      buf.write(b);
      state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
          : (b == '\r' ? 1 : 0);
    }
    String s = buf.toString(StandardCharsets.ISO_8859_1);
    return s.substring(0, s.length() - 4);
  }

  private static void reset(Socket s) throws IOException {
    s.setSoLinger(true, 0);
    s.close();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    pool.shutdownNow();
  }
}
