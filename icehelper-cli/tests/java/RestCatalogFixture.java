// An Iceberg REST catalog server for icehelper's tests, built on Apache Iceberg's own code.
//
// Every request is answered by org.apache.iceberg.rest.CatalogHandlers (the reference REST
// handlers in iceberg-core that Iceberg's own REST test adapter delegates to) over a JdbcCatalog
// kept in a SQLite file, the layout PyIceberg's SqlCatalog and Spark's JDBC catalog share.
// JSON goes through Iceberg's REST serializers (RESTSerializers on the relocated Jackson that
// the Iceberg runtime jar expects). Only the HTTP routing and the local FileIO are ours.
//
//   java -cp RUNTIME:JACKSON...:sqlite-jdbc.jar:slf4j-api.jar:CLASSES RestCatalogFixture \
//       --db catalog.db --warehouse file:///wh [--catalog-name lake] [--port 0] [--token T]
//
// Prints the bound port as the first stdout line. With --token every request, /v1/config
// included, needs `Authorization: Bearer T` (401 otherwise). Stops when stdin closes or on
// SIGTERM. Each request is logged as one line on stderr.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.BadRequestException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ForbiddenException;
import org.apache.iceberg.exceptions.NamespaceNotEmptyException;
import org.apache.iceberg.exceptions.NoSuchNamespaceException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.exceptions.NotAuthorizedException;
import org.apache.iceberg.exceptions.NotFoundException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SeekableInputStream;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.CatalogHandlers;
import org.apache.iceberg.rest.RESTSerializers;
import org.apache.iceberg.rest.requests.CreateNamespaceRequest;
import org.apache.iceberg.rest.requests.CreateTableRequest;
import org.apache.iceberg.rest.requests.RegisterTableRequest;
import org.apache.iceberg.rest.requests.RenameTableRequest;
import org.apache.iceberg.rest.requests.UpdateNamespacePropertiesRequest;
import org.apache.iceberg.rest.requests.UpdateTableRequest;
import org.apache.iceberg.rest.responses.ConfigResponse;
import org.apache.iceberg.rest.responses.ErrorResponse;
import org.apache.iceberg.rest.responses.ErrorResponseParser;
import org.apache.iceberg.shaded.com.fasterxml.jackson.annotation.JsonAutoDetect;
import org.apache.iceberg.shaded.com.fasterxml.jackson.annotation.PropertyAccessor;
import org.apache.iceberg.shaded.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.iceberg.shaded.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.iceberg.shaded.com.fasterxml.jackson.databind.PropertyNamingStrategies;

public final class RestCatalogFixture {
  private final JdbcCatalog catalog;
  private final ObjectMapper mapper;
  private final String token;

  private RestCatalogFixture(JdbcCatalog catalog, String token) {
    this.catalog = catalog;
    this.token = token;
    // the same configuration as Iceberg's (package-private) RESTObjectMapper
    this.mapper = new ObjectMapper();
    mapper.setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY);
    mapper.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    mapper.setPropertyNamingStrategy(new PropertyNamingStrategies.KebabCaseStrategy());
    RESTSerializers.registerAll(mapper);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("usage: RestCatalogFixture --db FILE --warehouse URI"
            + " [--catalog-name NAME] [--port N] [--token T]");
        System.exit(2);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    String db = required(opts, "db");
    String warehouse = required(opts, "warehouse");
    Map<String, String> props = new HashMap<>();
    props.put("uri", "jdbc:sqlite:" + Paths.get(db).toAbsolutePath());
    props.put("warehouse", warehouse);
    props.put("jdbc.schema-version", "V1");
    JdbcCatalog catalog = new JdbcCatalog(p -> new LocalFileIO(), null, true);
    catalog.initialize(opts.getOrDefault("catalog-name", "lake"), props);

    RestCatalogFixture fixture = new RestCatalogFixture(catalog, opts.get("token"));
    HttpServer server = HttpServer.create(
        new InetSocketAddress("127.0.0.1", Integer.parseInt(opts.getOrDefault("port", "0"))), 0);
    server.createContext("/", fixture::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop(0);
      catalog.close();
    }));
    System.out.println(server.getAddress().getPort());
    System.out.flush();

    // stdin closing (the test process ending) stops the server
    InputStream in = System.in;
    byte[] buf = new byte[256];
    while (in.read(buf) >= 0) {
      // ignore input
    }
    System.exit(0);
  }

  private static String required(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null) {
      System.err.println("RestCatalogFixture: --" + name + " is required");
      System.exit(2);
    }
    return v;
  }

  private void handle(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getRawPath();
    int code;
    String body;
    try {
      if (token != null) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.equals("Bearer " + token)) {
          throw new NotAuthorizedException("Not authorized: missing or wrong bearer token");
        }
      }
      byte[] raw = ex.getRequestBody().readAllBytes();
      Object response = route(method, path, query(ex.getRequestURI().getRawQuery()),
          new String(raw, StandardCharsets.UTF_8));
      if (response == null) {
        code = 204;
        body = null;
      } else {
        code = 200;
        body = mapper.writeValueAsString(response);
      }
    } catch (Exception e) {
      code = status(e);
      ErrorResponse err = ErrorResponse.builder()
          .responseCode(code)
          .withType(e.getClass().getSimpleName())
          .withMessage(String.valueOf(e.getMessage()))
          .build();
      body = ErrorResponseParser.toJson(err);
    }
    System.err.println(method + " " + path + " -> " + code);
    if (body == null || method.equals("HEAD")) {
      ex.sendResponseHeaders(code, -1);
    } else {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(code, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
    ex.close();
  }

  private static int status(Exception e) {
    if (e instanceof NotAuthorizedException) {
      return 401;
    } else if (e instanceof ForbiddenException) {
      return 403;
    } else if (e instanceof NoSuchNamespaceException || e instanceof NoSuchTableException
        || e instanceof NotFoundException || e instanceof RouteNotFound) {
      return 404;
    } else if (e instanceof MethodNotAllowed) {
      return 405;
    } else if (e instanceof AlreadyExistsException || e instanceof CommitFailedException
        || e instanceof NamespaceNotEmptyException) {
      return 409;
    } else if (e instanceof IllegalArgumentException || e instanceof ValidationException
        || e instanceof BadRequestException
        || e instanceof org.apache.iceberg.shaded.com.fasterxml.jackson.core.JsonProcessingException) {
      return 400;
    } else if (e instanceof UnsupportedOperationException) {
      return 406;
    }
    e.printStackTrace();
    return 500;
  }

  private Object route(String method, String path, Map<String, String> q, String body)
      throws Exception {
    if (!path.startsWith("/v1/")) {
      throw new RouteNotFound(path);
    }
    List<String> p = Arrays.asList(path.substring(4).split("/", -1));
    int n = p.size();
    if (n == 1 && p.get(0).equals("config") && method.equals("GET")) {
      // no endpoint list: the runtime jar on PyPI lacks the relocated httpcore that
      // org.apache.iceberg.rest.Endpoint needs, and clients assume the standard set without it
      return ConfigResponse.builder().build();
    }
    if (n == 2 && p.get(0).equals("tables") && p.get(1).equals("rename")) {
      expect(method, "POST");
      CatalogHandlers.renameTable(catalog, read(body, RenameTableRequest.class));
      return null;
    }
    if (!p.get(0).equals("namespaces")) {
      throw new RouteNotFound(path);
    }
    if (n == 1) {
      if (method.equals("GET")) {
        Namespace parent = q.containsKey("parent") ? namespace(q.get("parent")) : Namespace.empty();
        if (q.containsKey("pageToken") || q.containsKey("pageSize")) {
          return CatalogHandlers.listNamespaces(catalog, parent, q.get("pageToken"), q.get("pageSize"));
        }
        return CatalogHandlers.listNamespaces(catalog, parent);
      }
      expect(method, "POST");
      return CatalogHandlers.createNamespace(catalog, read(body, CreateNamespaceRequest.class));
    }
    Namespace ns = namespace(segment(p.get(1)));
    if (n == 2) {
      switch (method) {
        case "GET":
          return CatalogHandlers.loadNamespace(catalog, ns);
        case "HEAD":
          CatalogHandlers.namespaceExists(catalog, ns);
          return null;
        case "DELETE":
          CatalogHandlers.dropNamespace(catalog, ns);
          return null;
        default:
          throw new MethodNotAllowed(method);
      }
    }
    if (n == 3 && p.get(2).equals("properties")) {
      expect(method, "POST");
      return CatalogHandlers.updateNamespaceProperties(
          catalog, ns, read(body, UpdateNamespacePropertiesRequest.class));
    }
    if (n == 3 && p.get(2).equals("register")) {
      expect(method, "POST");
      return CatalogHandlers.registerTable(catalog, ns, read(body, RegisterTableRequest.class));
    }
    if (n == 3 && p.get(2).equals("tables")) {
      if (method.equals("GET")) {
        if (q.containsKey("pageToken") || q.containsKey("pageSize")) {
          return CatalogHandlers.listTables(catalog, ns, q.get("pageToken"), q.get("pageSize"));
        }
        return CatalogHandlers.listTables(catalog, ns);
      }
      expect(method, "POST");
      CreateTableRequest req = read(body, CreateTableRequest.class);
      return req.stageCreate()
          ? CatalogHandlers.stageTableCreate(catalog, ns, req)
          : CatalogHandlers.createTable(catalog, ns, req);
    }
    if (p.get(2).equals("tables") && (n == 4 || (n == 5 && p.get(4).equals("metrics")))) {
      TableIdentifier ident = TableIdentifier.of(ns, segment(p.get(3)));
      if (n == 5) {
        expect(method, "POST");
        return null; // metrics reports are accepted and dropped
      }
      switch (method) {
        case "GET":
          return CatalogHandlers.loadTable(catalog, ident);
        case "HEAD":
          CatalogHandlers.tableExists(catalog, ident);
          return null;
        case "POST":
          return CatalogHandlers.updateTable(catalog, ident, read(body, UpdateTableRequest.class));
        case "DELETE":
          if ("true".equals(q.get("purgeRequested"))) {
            CatalogHandlers.purgeTable(catalog, ident);
          } else {
            CatalogHandlers.dropTable(catalog, ident);
          }
          return null;
        default:
          throw new MethodNotAllowed(method);
      }
    }
    throw new RouteNotFound(path);
  }

  private <T> T read(String body, Class<T> type) throws IOException {
    return mapper.readValue(body, type);
  }

  private static void expect(String method, String wanted) {
    if (!method.equals(wanted)) {
      throw new MethodNotAllowed(method);
    }
  }

  /** A decoded path segment ('+' is a plus sign in a path). */
  private static String segment(String raw) {
    return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** A namespace from its decoded REST form: levels separated by the unit separator 0x1F. */
  private static Namespace namespace(String decoded) {
    return decoded.isEmpty() ? Namespace.empty() : Namespace.of(decoded.split("\u001f", -1));
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  private static final class RouteNotFound extends RuntimeException {
    RouteNotFound(String path) {
      super("No route for " + path);
    }
  }

  private static final class MethodNotAllowed extends RuntimeException {
    MethodNotAllowed(String method) {
      super("Method not allowed: " + method);
    }
  }

  /** FileIO over the local file system (file: URIs and plain paths), without Hadoop. */
  public static final class LocalFileIO implements FileIO {
    static Path local(String location) {
      return location.startsWith("file:") ? Paths.get(URI.create(location)) : Paths.get(location);
    }

    @Override
    public InputFile newInputFile(String location) {
      return new LocalInputFile(location);
    }

    @Override
    public OutputFile newOutputFile(String location) {
      return new LocalOutputFile(location);
    }

    @Override
    public void deleteFile(String location) {
      try {
        Files.deleteIfExists(local(location));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  private static final class LocalInputFile implements InputFile {
    private final String location;

    LocalInputFile(String location) {
      this.location = location;
    }

    @Override
    public long getLength() {
      try {
        return Files.size(LocalFileIO.local(location));
      } catch (IOException e) {
        throw new NotFoundException(e, "Cannot stat %s", location);
      }
    }

    @Override
    public SeekableInputStream newStream() {
      final RandomAccessFile file;
      try {
        file = new RandomAccessFile(LocalFileIO.local(location).toFile(), "r");
      } catch (IOException e) {
        throw new NotFoundException(e, "Cannot open %s", location);
      }
      return new SeekableInputStream() {
        @Override
        public long getPos() throws IOException {
          return file.getFilePointer();
        }

        @Override
        public void seek(long pos) throws IOException {
          file.seek(pos);
        }

        @Override
        public int read() throws IOException {
          return file.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          return file.read(b, off, len);
        }

        @Override
        public void close() throws IOException {
          file.close();
        }
      };
    }

    @Override
    public String location() {
      return location;
    }

    @Override
    public boolean exists() {
      return Files.exists(LocalFileIO.local(location));
    }
  }

  private static final class LocalOutputFile implements OutputFile {
    private final String location;

    LocalOutputFile(String location) {
      this.location = location;
    }

    private PositionOutputStream open(StandardOpenOption... options) {
      Path path = LocalFileIO.local(location);
      final OutputStream out;
      try {
        Files.createDirectories(path.getParent());
        out = Files.newOutputStream(path, options);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        throw new AlreadyExistsException("File already exists: %s", location);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return new PositionOutputStream() {
        private long pos = 0;

        @Override
        public long getPos() {
          return pos;
        }

        @Override
        public void write(int b) throws IOException {
          out.write(b);
          pos += 1;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
          pos += len;
        }

        @Override
        public void flush() throws IOException {
          out.flush();
        }

        @Override
        public void close() throws IOException {
          out.close();
        }
      };
    }

    @Override
    public PositionOutputStream create() {
      return open(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    @Override
    public PositionOutputStream createOrOverwrite() {
      return open(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE);
    }

    @Override
    public String location() {
      return location;
    }

    @Override
    public InputFile toInputFile() {
      return new LocalInputFile(location);
    }
  }
}
