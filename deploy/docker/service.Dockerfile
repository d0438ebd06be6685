# One image per graphite-kafka service, from the jars `./mvnw package` builds:
#   docker build -f deploy/docker/service.Dockerfile --build-arg SERVICE=sink -t graphite-kafka-sink .
# The services share one launcher jar; SERVICE picks the subcommand the container runs.
FROM eclipse-temurin:17-jre

ARG SERVICE
ENV GRAPHITE_KAFKA_SERVICE=${SERVICE} \
    JAVA_OPTS="-XX:MaxRAMPercentage=75"

RUN groupadd --system --gid 10001 graphite \
 && useradd --system --uid 10001 --gid graphite --home-dir /var/lib/graphite-kafka graphite \
 && mkdir -p /var/lib/graphite-kafka /etc/graphite-kafka \
 && chown graphite:graphite /var/lib/graphite-kafka

COPY standalone/target/lib/ /opt/graphite-kafka/lib/
COPY standalone/target/graphite-kafka.jar /opt/graphite-kafka/graphite-kafka.jar
COPY conf/ /etc/graphite-kafka/conf/

USER graphite
WORKDIR /var/lib/graphite-kafka
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -Dgraphite.kafka.home=/etc/graphite-kafka -cp '/opt/graphite-kafka/graphite-kafka.jar:/opt/graphite-kafka/lib/*' io.graphitekafka.standalone.Main \"$GRAPHITE_KAFKA_SERVICE\" \"$@\"", "--"]
