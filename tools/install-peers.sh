#!/usr/bin/env bash
# Installs the test peers and clients that come from the other registries
# (issue 13): Apache Kafka 4.x and its Java client and tools (Maven Central),
# franz-go and Sarama (the Go module proxy), confluent-kafka 2.x and
# kafka-python 3.x (PyPI). Each is pinned by a lock file and checked:
#   tests/compat/peers/java/pom.xml + jars.sha256   -> peers/java/target/lib
#   tests/compat/drivers/go/go.mod + go.sum         -> drivers/go/compat-go
#   tests/compat/peers/python/requirements.txt      -> tests/compat/.venv
# The Java driver is compiled with javac into drivers/java/build.
# None of this is linked into atolld, which builds from Debian packages alone.
# Each step is skipped when its inputs have not changed since it last ran.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
compat="$here/tests/compat"

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "install-peers: '$1' is missing: $2" >&2
  exit 1
}
need java "a JDK 17 or newer (apt install openjdk-17-jdk-headless)"
need javac "a JDK 17 or newer (apt install openjdk-17-jdk-headless)"
need mvn "Maven (apt install maven)"
need go "Go 1.26 (franz-go and Sarama need a newer Go than Debian 12 ships)"
need python3 "CPython 3.11 with venv"

# Runs "$@" unless the stamp file holds the hash of the listed inputs.
stamp_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }
up_to_date() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# --- Apache Kafka, its tools and the Java client ----------------------------
java_dir="$compat/peers/java"
lib="$java_dir/target/lib"
h=$(stamp_hash "$java_dir/pom.xml" "$java_dir/jars.sha256")
if ! up_to_date "$lib/.stamp" "$h"; then
  echo "install-peers: Apache Kafka jars (Maven Central)"
  rm -rf "$lib"
  (cd "$java_dir" && mvn -q -B dependency:copy-dependencies \
     -DoutputDirectory=target/lib -DincludeScope=runtime)
  # The lock file: exactly these jars, byte for byte, and no others.
  (cd "$lib" && sha256sum --quiet --strict -c "$java_dir/jars.sha256")
  extra=$(cd "$lib" && ls *.jar | grep -vxFf <(awk '{print $2}' "$java_dir/jars.sha256") || true)
  if [ -n "$extra" ]; then
    echo "install-peers: jars not in jars.sha256: $extra" >&2
    exit 1
  fi
  echo "$h" > "$lib/.stamp"
fi

# --- the Java driver of the differential suite --------------------------------
jdrv="$compat/drivers/java"
h=$(stamp_hash "$lib/.stamp" $(find "$jdrv/src" -name '*.java' | sort))
if ! up_to_date "$jdrv/build/.stamp" "$h"; then
  echo "install-peers: compiling the Java driver"
  rm -rf "$jdrv/build"
  mkdir -p "$jdrv/build"
  javac --release 17 -Xlint:all -Werror -cp "$lib/*" -d "$jdrv/build" \
    $(find "$jdrv/src" -name '*.java' | sort)
  echo "$h" > "$jdrv/build/.stamp"
fi

# --- franz-go and Sarama -------------------------------------------------------
gdrv="$compat/drivers/go"
h=$(stamp_hash "$gdrv/go.mod" "$gdrv/go.sum" $(find "$gdrv" -name '*.go' | sort))
if ! up_to_date "$gdrv/.stamp" "$h"; then
  echo "install-peers: building the Go driver (franz-go, Sarama)"
  (cd "$gdrv" && GOFLAGS=-mod=readonly go build -o compat-go .)
  echo "$h" > "$gdrv/.stamp"
fi

# --- confluent-kafka 2.x and kafka-python 3.x ----------------------------------
venv="$compat/.venv"
req="$compat/peers/python/requirements.txt"
h=$(stamp_hash "$req")
if ! up_to_date "$venv/.stamp" "$h"; then
  echo "install-peers: Python clients (PyPI, hashes checked)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --require-hashes --no-deps -r "$req"
  echo "$h" > "$venv/.stamp"
fi
echo "install-peers: Kafka $(ls "$lib" | sed -n 's/^kafka_2.13-\(.*\)\.jar$/\1/p'), Go driver, Python venv ready"
