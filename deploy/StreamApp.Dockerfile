# The application tier (samples/StreamApp). Build context: the repository root, e.g.
#   docker build -f deploy/StreamApp.Dockerfile -t sluice-streamapp:local .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY samples/StreamApp/StreamApp.csproj samples/StreamApp/
RUN dotnet restore samples/StreamApp/StreamApp.csproj
COPY samples/StreamApp/ samples/StreamApp/
RUN dotnet publish -c Release samples/StreamApp/StreamApp.csproj --no-restore -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# curl: the compose health check (GET /health/ready).
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /app
WORKDIR /app
USER app
# PORT and BIND are what the app reads. BIND defaults to 127.0.0.1, which Sluice and Prometheus in other
# containers cannot reach: 0.0.0.0 listens on every IPv4 address of the container. ASPNETCORE_HTTP_PORTS
# (8080 in the base image) is aligned so nothing in the image names another port.
ENV PORT=8000 BIND=0.0.0.0 ASPNETCORE_HTTP_PORTS=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null http://localhost:8000/health/ready || exit 1
CMD ["dotnet", "StreamApp.dll"]
