/*
 * The runtime's side of exec, called from JavaScript (src/exec/helper.ts,
 * terminal.ts): the report pipe, the console socket, receiving a pty
 * master, raw mode and window size for a foreground --tty. Each returns
 * -errno on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

/* A close-on-exec pipe: fds[0] reads, fds[1] writes. */
int crio_lxc_pipe(int *fds)
{
	return pipe2(fds, O_CLOEXEC);
}

int crio_lxc_connect_unix(const char *path)
{
	struct sockaddr_un addr = { 0 };
	size_t len = strlen(path);
	if (len >= sizeof addr.sun_path)
		return -ENAMETOOLONG;
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, len);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int crio_lxc_socketpair(int *fds)
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 ? -errno : 0;
}

/* The fd sent with SCM_RIGHTS, made close-on-exec and non-blocking. */
int crio_lxc_recv_fd(int sock)
{
	char name[64];
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
	struct iovec iov;
	struct msghdr msg = { 0 };
	memset(&control, 0, sizeof control);
	iov.iov_base = name;
	iov.iov_len = sizeof name;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0)
		return -errno;
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	if (msg.msg_controllen < CMSG_LEN(sizeof(int)) || !cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	int fd;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* saved must hold a struct termios; it gets the terminal's settings before raw mode. */
int crio_lxc_make_raw(int fd, void *saved)
{
	struct termios raw;
	if (tcgetattr(fd, saved) < 0)
		return -errno;
	memcpy(&raw, saved, sizeof raw);
	cfmakeraw(&raw);
	return tcsetattr(fd, TCSANOW, &raw) < 0 ? -errno : 0;
}

int crio_lxc_restore_termios(int fd, const void *saved)
{
	return tcsetattr(fd, TCSANOW, saved) < 0 ? -errno : 0;
}

int crio_lxc_copy_winsize(int from, int to)
{
	struct winsize size;
	if (ioctl(from, TIOCGWINSZ, &size) < 0 || ioctl(to, TIOCSWINSZ, &size) < 0)
		return -errno;
	return 0;
}
