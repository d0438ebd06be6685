# graphite-web settings driven by the environment, so one image serves both roles:
#   storage host: GRAPHITE_WHISPER_DIR=/data/whisper, no GRAPHITE_CLUSTER_SERVERS
#   front:        GRAPHITE_CLUSTER_SERVERS=storage1-web:8080,storage2-web:8080 (and no local data)
import os

SECRET_KEY = os.environ.get("GRAPHITE_SECRET_KEY", "graphite-kafka-change-me")
TIME_ZONE = os.environ.get("GRAPHITE_TIME_ZONE", "UTC")
ALLOWED_HOSTS = ["*"]

STORAGE_DIR = os.environ.get("GRAPHITE_STORAGE_DIR", "/var/lib/graphite")
WHISPER_DIR = os.environ.get("GRAPHITE_WHISPER_DIR", os.path.join(STORAGE_DIR, "whisper"))
STANDARD_DIRS = [WHISPER_DIR]
LOG_DIR = os.environ.get("GRAPHITE_LOG_DIR", "/var/log/graphite")
INDEX_FILE = os.path.join(STORAGE_DIR, "index")

CLUSTER_SERVERS = [s for s in os.environ.get("GRAPHITE_CLUSTER_SERVERS", "").split(",") if s]
REMOTE_FIND_TIMEOUT = 5.0
REMOTE_FETCH_TIMEOUT = 10.0
# carbonlink: where graphite-web asks for points not yet in the files, "host:port:instance" entries
# separated by commas; the standalone and the aggregator answer on carbon's port, 7002.
CARBONLINK_HOSTS = [s for s in os.environ.get("GRAPHITE_CARBONLINK_HOSTS", "").split(",") if s]

# the storage hosts store tagged series under carbon's hashed _tagged paths; tag queries need a TagDB,
# which this image leaves at graphite-web's local default
DATABASES = {
    "default": {
        "NAME": os.path.join(STORAGE_DIR, "graphite.db"),
        "ENGINE": "django.db.backends.sqlite3",
    }
}
