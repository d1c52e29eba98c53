# outreach: a static binary on a distroless base, running as non-root.
# Build: docker build -t outreach .
# Run:   docker run -e OUTREACH_REDIS_URL=... -e OUTREACH_SMTP_URL=... -p 8080:8080 outreach

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# modernc.org/sqlite is pure Go, so the binary needs no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/outreach ./cmd/outreach \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/outreach /usr/local/bin/outreach
# The SQLite archive lives in a volume owned by the non-root user; set
# OUTREACH_DATABASE_URL=postgres://... in production instead.
COPY --from=build --chown=65532:65532 /out/data /data
ENV OUTREACH_DATABASE_URL=sqlite:///data/outreach.db \
    OUTREACH_HTTP_ADDR=:8080
VOLUME /data
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/outreach"]
CMD ["serve"]
