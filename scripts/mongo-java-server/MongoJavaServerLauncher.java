// A test server, not product code: mongo-java-server (de.bwaldvogel) with its in-memory backend on 127.0.0.1:<port>.
// Run as a single source file, no compile step (Java >= 17, the version mongo-java-server 1.47 is built for):
//
//   java -cp "$(cat ~/.cache/acs-test-servers/mongo-java-server.classpath)" MongoJavaServerLauncher.java <port>
//
// The classpath comes from pom.xml beside this file (scripts/install-test-servers.sh resolves it). Prints one line,
// "mongo-java-server <version> ready on 127.0.0.1:<port>", once it listens, and exits on SIGTERM/SIGINT or when its
// stdin reaches end of file: @acs/testkit keeps a pipe open to it, so the server also goes when the test process
// dies without stopping it. (Started with stdin at /dev/null, it exits at once; from a shell, end it with Ctrl-D.)

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class MongoJavaServerLauncher {
  // What hello/buildInfo report. mongo-java-server's newest choice, ServerVersion.MONGO_5_0, reports wire version 8,
  // below the Node driver's minimum (mongodb 7.x: 9, MongoDB 4.4), which then refuses to connect. The backend uses
  // the version for those replies only, so report the oldest server the driver accepts: 4.4, wire version 9.
  private static final MongoVersion REPORTED_VERSION = new MongoVersion() {
    @Override
    public List<Integer> getVersionArray() {
      return List.of(4, 4, 0);
    }

    @Override
    public int getWireVersion() {
      return 9;
    }
  };

  public static void main(String[] args) throws IOException {
    if (args.length != 1 || !args[0].matches("[0-9]{1,5}")) {
      System.err.println("usage: java -cp <classpath> MongoJavaServerLauncher.java <port>");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    MongoServer server = new MongoServer(new MemoryBackend().version(REPORTED_VERSION));
    server.bind("127.0.0.1", port);
    // SIGTERM/SIGINT run the shutdown hooks; System.exit from the stdin watcher below does too.
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "mongo-java-server-shutdown"));
    System.out.println("mongo-java-server " + jarVersion() + " ready on 127.0.0.1:" + port);
    System.out.flush();

    InputStream in = System.in;
    byte[] buf = new byte[256];
    while (in.read(buf) >= 0) {
      // Input is ignored; only its end matters.
    }
    System.exit(0);
  }

  // The jars carry no version in their manifest; Maven's file name does (mongo-java-server-core-1.47.0.jar).
  private static String jarVersion() {
    String jar = MongoServer.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    Matcher m = Pattern.compile("mongo-java-server-core-([^/]+)\\.jar$").matcher(jar);
    return m.find() ? m.group(1) : "(unknown version)";
  }
}
