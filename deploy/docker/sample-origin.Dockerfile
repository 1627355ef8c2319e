# Outpost's bundled sample origin, for the compose fleet and demos. A JDK image, not a JRE:
# the single-file program is compiled at start by the java launcher, which needs jdk.compiler.
#   docker build -f deploy/docker/sample-origin.Dockerfile -t outpost/sample-origin .
FROM eclipse-temurin:25-jdk

RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 outpost \
 && useradd --system --uid 10001 --gid outpost --no-create-home --shell /usr/sbin/nologin outpost \
 && mkdir -p /opt/outpost

COPY deploy/local/sample-origin/SampleOrigin.java /opt/outpost/SampleOrigin.java

USER outpost:outpost
EXPOSE 9000

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:9000/_origin/healthz || exit 1

STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-Djava.awt.headless=true", "/opt/outpost/SampleOrigin.java"]
CMD ["--listen", "0.0.0.0:9000"]
