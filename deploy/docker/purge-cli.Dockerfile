# Outpost operator CLI (purge, config, nodes, stats), for scripts and CI jobs:
#   docker build -f deploy/docker/purge-cli.Dockerfile -t outpost/purge-cli .
#   docker run --rm -e OUTPOST_CONTROL_PLANE=http://cp:7000 -e OUTPOST_TOKEN=... outpost/purge-cli nodes
FROM eclipse-temurin:25-jre

RUN groupadd --system --gid 10001 outpost \
 && useradd --system --uid 10001 --gid outpost --create-home --home-dir /home/outpost --shell /usr/sbin/nologin outpost \
 && mkdir -p /opt/outpost

COPY purge-cli/target/purge-cli.jar /opt/outpost/purge-cli.jar

USER outpost:outpost
WORKDIR /home/outpost

# A command that runs and exits has nothing to probe: no health check, on purpose.
HEALTHCHECK NONE

ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-jar", "/opt/outpost/purge-cli.jar"]
CMD ["--help"]
