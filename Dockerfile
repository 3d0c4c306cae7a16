# The openai-conformance CLI as an image (docs/ci.md, "Docker"):
#   docker build -t openai-conformance .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" -e OPENAI_API_KEY \
#     openai-conformance run --target https://my-server.example/v1
# Reports land in ./reports of the mounted folder. tests/packaging/test_docker.py runs these commands.
FROM python:3.12-slim

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY . /src
RUN pip install --no-cache-dir /src && rm -rf /src

WORKDIR /work
# the emulator, served with `emulator --host 0.0.0.0`
EXPOSE 8080
ENTRYPOINT ["openai-conformance"]
CMD ["--help"]
