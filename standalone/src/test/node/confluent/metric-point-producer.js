'use strict';
// Writes MetricPoint records to carbon.points with Confluent's Schema Registry client and Avro
// serializer: key = the series name, value = Confluent's wire format (magic byte 0, the 4-byte schema
// id, the Avro binary body), the schema registered under the subject <topic>-value.
const { Kafka, Partitioners } = require('kafkajs');
const { AvroSerializer, SchemaRegistryClient, SerdeType } = require('@confluentinc/schemaregistry');

/** The MetricPoint schema, as in schemas/src/main/avro/MetricPoint.avsc. */
const METRIC_POINT = {
  type: 'record',
  name: 'MetricPoint',
  namespace: 'io.graphitekafka.schemas.avro',
  fields: [
    { name: 'metric', type: 'string' },
    { name: 'timestamp', type: 'long' },
    { name: 'value', type: 'double' },
  ],
};

class MetricPointProducer {
  /**
   * @param brokers e.g. ['kafka1:9092']
   * @param registryUrl e.g. 'http://registry:8081'
   * @param registryUserInfo 'user:password' for basic auth, or undefined
   * @param schema METRIC_POINT, or a later version of it that the registry accepts as compatible
   */
  constructor({ brokers, registryUrl, registryUserInfo, topic = 'carbon.points', schema = METRIC_POINT }) {
    this.topic = topic;
    this.schema = schema;
    this.registry = new SchemaRegistryClient({
      baseURLs: [registryUrl],
      basicAuthCredentials: registryUserInfo
        ? { credentialsSource: 'USER_INFO', userInfo: registryUserInfo } : undefined,
    });
    // DefaultPartitioner hashes keys as Java's producer does, so a series keeps its partition.
    this.producer = new Kafka({ clientId: 'metric-point-producer', brokers }).producer({
      idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Registers the schema under <topic>-value (or finds it there) and connects to Kafka. */
  async connect() {
    this.schemaId = await this.registry.register(`${this.topic}-value`,
      { schemaType: 'AVRO', schema: JSON.stringify(this.schema) });
    this.serializer = new AvroSerializer(this.registry, SerdeType.VALUE, { useSchemaId: this.schemaId });
    await this.producer.connect();
    return this.schemaId;
  }

  /**
   * Sends points and waits until Kafka has acknowledged them. Each point is
   * { metric, timestamp, value }: metric the normalized series name (tags sorted as carbon sorts
   * them), timestamp epoch seconds in [0, 2^32), value a number (NaN is rejected).
   */
  async send(points) {
    const messages = [];
    for (const point of points) {
      messages.push({ key: point.metric, value: await this.serializer.serialize(this.topic, point) });
    }
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }

  async close() {
    await this.producer.disconnect();
  }
}

module.exports = { METRIC_POINT, MetricPointProducer };
