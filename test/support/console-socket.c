/* A console socket, as conmon listens on one (test/support/console-socket.ts). */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

/* A listening socket at path, or -1. */
int test_listen(const char *path)
{
	struct sockaddr_un addr = { 0 };
	size_t len = strlen(path);
	if (len >= sizeof addr.sun_path)
		return -1;
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, len);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 1) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int test_accept(int fd)
{
	return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}
