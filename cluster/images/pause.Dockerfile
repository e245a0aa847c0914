# The pause (sandbox) image of every pod: Debian's static catatonit, which blocks forever.
FROM scratch
COPY pause /pause
ENTRYPOINT ["/pause", "-P"]
