# Dartboard in a container: `docker build -t dartboard .` then
#   docker run -p 3000:3000 -v dartboard-data:/data -e DARTBOARD_ADMIN_TOKEN=... dartboard
# The steps are the Makefile's (`make venv`, `make build`): the same PyTorch wheel from PyPI in a
# project-local venv, the same release build with the rpath to its libtorch. Docker cannot build
# on the machines this was written on, so this file was not built there; keep it in step with the
# Makefile when that changes.

# --- build: what `make site` and `make build` install and build -------------------------------------------
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# `make venv` then `make build`; the runtime stage keeps libtorch at the same path (/src/.venv),
# so the binary's rpath to it holds.
RUN python3 -m venv .venv \
    && .venv/bin/pip install --no-cache-dir -q torch==2.11.0 numpy \
    && scripts/build-site \
    && scripts/with-torch cargo build --release -p server

# --- runtime: the binary, the sample, and the PyTorch libraries ------------------------------
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libgomp1 \
    && rm -rf /var/lib/apt/lists/*
# libtorch, and the CUDA libraries it loads from the wheel's nvidia packages.
COPY --from=build /src/.venv/lib/python3.11/site-packages/torch/lib \
     /src/.venv/lib/python3.11/site-packages/torch/lib
COPY --from=build /src/.venv/lib/python3.11/site-packages/nvidia \
     /src/.venv/lib/python3.11/site-packages/nvidia
COPY --from=build /src/target/release/dartboard /usr/local/bin/dartboard
COPY --from=build /src/data/sample /opt/dartboard/sample
COPY --from=build /src/target/site /opt/dartboard/site
VOLUME /data
EXPOSE 3000
# Bound off loopback, the server refuses to start without DARTBOARD_ADMIN_TOKEN.
CMD ["dartboard", "serve", "--addr", "0.0.0.0:3000", "--data-dir", "/data", \
     "--sample", "/opt/dartboard/sample/digits.csv.gz", "--site", "/opt/dartboard/site"]
