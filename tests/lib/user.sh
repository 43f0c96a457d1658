# An unprivileged user (nobody, no groups, no capabilities) who may open
# the RDMA devices, as on a host whose udev rules open
# /dev/infiniband/uverbs* to everyone (rdma-core's do).  The environment is
# kept (HODP_TIME_SCALE and the like).
as_user_cmd="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --"

# as_user CMD [ARGS...]: run CMD as that user.
as_user() {
	chmod 0666 /dev/infiniband/uverbs* && $as_user_cmd "$@"
}
