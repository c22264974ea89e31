# The compat runner's toolchain (Node 20, Java 17, Maven, Python 3, Go, kcat) for docker/compose.yaml.
# Go: Debian's go picks the toolchain go.mod asks for from the Go proxy (GOTOOLCHAIN=auto).
# The repository is mounted at /work; caches live in /work/.cache and the maven volume.
FROM node:20-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven python3 python3-venv golang-go kcat make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /work
