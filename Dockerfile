# syntax=docker/dockerfile:1
# Both images of the service, built from a clean clone (nothing to build on the host first):
#   docker build --target search-api -t glora/search-api .
#   docker build --target search-worker -t glora/search-worker .
# docker compose builds them (docker-compose.yml). Both run as the unprivileged user glora
# (uid 10001) and carry the shipped backbone and the FMNIST-VTAB sample task (new5) in /models
# and /data, so a job can be submitted at once.

# 1. the build: all modules, tests skipped (CI runs them), and the sample task written by the CLI
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -DskipTests package \
 && mkdir -p /sample/models /sample/data \
 && cp models/fmnist-vit-upstream.safetensors /sample/models/ \
 && cp -r data/fashion-mnist-sample /sample/data/ \
 && java -Dai.djl.offline=true -cp "search-worker/target/search-worker-0.1.0-SNAPSHOT.jar:search-worker/target/lib/*" \
      dev.glora.cli.Glora data fmnist-vtab --idx data/fashion-mnist-sample --out /sample/data/fmnist-vtab-sample --seed 0

# 2. what both images share: a JRE, the user, the sample roots owned by it (named volumes
#    mounted there start from this content, and uploads can write to them)
FROM eclipse-temurin:17-jre AS runtime
RUN groupadd --system --gid 10001 glora \
 && useradd --system --uid 10001 --gid glora --home-dir /app --shell /usr/sbin/nologin glora \
 && mkdir -p /app /models /data \
 && chown glora:glora /app /models /data
COPY --from=build --chown=glora:glora /sample/models/ /models/
COPY --from=build --chown=glora:glora /sample/data/ /data/
WORKDIR /app
USER glora

# 3. the REST API and dashboard; healthy when its liveness probe answers UP
FROM runtime AS search-api
COPY --from=build --chown=glora:glora /src/search-api/target/search-api.jar /app/search-api.jar
ENV GLORA_MODELS=/models GLORA_DATA=/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /actuator/health/liveness HTTP/1.0\r\n\r\n" >&3 && grep -q "\"UP\"" <&3'
ENTRYPOINT ["java", "-Dai.djl.offline=true", "-jar", "/app/search-api.jar"]

# 4. a worker (`glora worker`, configured from GLORA_DB_URL, GLORA_DB_USER, GLORA_DB_PASSWORD,
#    GLORA_MODEL_ROOT, GLORA_DATA_ROOT); healthy while it reaches its database (it touches its
#    alive file after every successful check)
FROM runtime AS search-worker
COPY --from=build --chown=glora:glora /src/search-worker/target/search-worker-0.1.0-SNAPSHOT.jar /app/search-worker.jar
COPY --from=build --chown=glora:glora /src/search-worker/target/lib/ /app/lib/
ENV GLORA_MODEL_ROOT=/models GLORA_DATA_ROOT=/data GLORA_WORKER_ALIVE_FILE=/tmp/glora-worker-alive
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
  CMD test -n "$(find /tmp/glora-worker-alive -mmin -1 2>/dev/null)"
ENTRYPOINT ["java", "-Dai.djl.offline=true", "-cp", "/app/search-worker.jar:/app/lib/*", "dev.glora.cli.Glora", "worker"]
