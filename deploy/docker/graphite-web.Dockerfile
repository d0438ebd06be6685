# graphite-web from Debian's package, served by gunicorn. On a storage host it reads that host's Whisper
# files; as the front it federates the storage hosts through CLUSTER_SERVERS.
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphite-web gunicorn \
 && rm -rf /var/lib/apt/lists/*

COPY deploy/graphite-web/local_settings.py /etc/graphite/local_settings.py
COPY deploy/graphite-web/entrypoint.sh /usr/local/bin/graphite-web-entrypoint

RUN chmod 0755 /usr/local/bin/graphite-web-entrypoint \
 && mkdir -p /var/lib/graphite /var/log/graphite \
 && chown -R _graphite:_graphite /var/lib/graphite /var/log/graphite

USER _graphite
EXPOSE 8080
ENTRYPOINT ["graphite-web-entrypoint"]
