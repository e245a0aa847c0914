# The dynamic volume provisioner of cluster/storage-provisioner, built by cluster/build.sh.
FROM scratch
COPY storage-provisioner /storage-provisioner
ENTRYPOINT ["/storage-provisioner"]
