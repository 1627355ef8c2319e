# Outpost edge node (also the origin shield: same image, --role shield).
# Build from the repository root after `./mvnw -q -DskipTests package`:
#   docker build -f deploy/docker/edge-node.Dockerfile -t outpost/edge-node .
# The entry point runs what bin/edge-node runs outside a container (the image's java is JDK 25).
# The default command only sets listeners and the data dir: give the whole command, with
# --origin and --admin-token (the admin listener is on all interfaces, so the node refuses to
# start without a token for POST /purge). See deploy/README.md, "Container images".
FROM eclipse-temurin:25-jre

# curl is for the HEALTHCHECK only
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 outpost \
 && useradd --system --uid 10001 --gid outpost --home-dir /var/lib/outpost --shell /usr/sbin/nologin outpost \
 && mkdir -p /opt/outpost /etc/outpost /var/lib/outpost \
 && chown outpost:outpost /var/lib/outpost

COPY edge-node/target/edge-node.jar /opt/outpost/edge-node.jar

USER outpost:outpost
WORKDIR /var/lib/outpost
# the disk tier (RocksDB) lives here: mount a volume so the cache survives a new container
VOLUME ["/var/lib/outpost"]

# 8080: client traffic (HTTP/1.1 and h2c); 9080: admin (/healthz, /metrics, /stats, POST /purge)
EXPOSE 8080 9080

ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:9080/healthz || exit 1

# SIGTERM (docker stop) drains in-flight responses and closes RocksDB cleanly
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-jar", "/opt/outpost/edge-node.jar"]
CMD ["--listen", "0.0.0.0:8080", "--admin", "0.0.0.0:9080", "--data-dir", "/var/lib/outpost"]
