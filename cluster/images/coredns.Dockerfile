# CoreDNS, built from its Go module by cluster/build.sh.
FROM scratch
COPY coredns /coredns
EXPOSE 53 53/udp
ENTRYPOINT ["/coredns"]
