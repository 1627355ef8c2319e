# Outpost control plane: node registry, config distribution, purge fan-out, GeoDNS.
# Build from the repository root after `./mvnw -q -DskipTests package`:
#   docker build -f deploy/docker/control-plane.Dockerfile -t outpost/control-plane .
# The entry point runs what bin/control-plane runs outside a container (the image's java is
# JDK 25). The default command has no --zone (yours to name) and no token: give the whole
# command with --token and --zone. Without --zone the control plane runs with DNS off and logs
# one line saying so. See deploy/README.md, "Container images".
FROM eclipse-temurin:25-jre

# curl is for the HEALTHCHECK only
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 outpost \
 && useradd --system --uid 10001 --gid outpost --home-dir /var/lib/outpost-control-plane --shell /usr/sbin/nologin outpost \
 && mkdir -p /opt/outpost /etc/outpost /var/lib/outpost-control-plane \
 && chown outpost:outpost /var/lib/outpost-control-plane

COPY control-plane/target/control-plane.jar /opt/outpost/control-plane.jar

USER outpost:outpost
WORKDIR /var/lib/outpost-control-plane
# registry, config versions and purge log (embedded RocksDB store)
VOLUME ["/var/lib/outpost-control-plane"]

# 7000: HTTP API (/v1/...), /healthz and /metrics; 8053: authoritative DNS on UDP and TCP.
# A non-root user cannot bind port 53: publish 53 -> 8053 (docker -p 53:8053/udp -p 53:8053/tcp).
EXPOSE 7000 8053/udp 8053/tcp

ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:7000/healthz || exit 1

STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-jar", "/opt/outpost/control-plane.jar"]
# the GeoIP database is mounted at /etc/outpost/geoip.mmdb; the token comes from the command line or YAML
CMD ["--listen", "0.0.0.0:7000", "--dns-listen", "0.0.0.0:8053", "--data-dir", "/var/lib/outpost-control-plane", "--geoip", "/etc/outpost/geoip.mmdb"]
