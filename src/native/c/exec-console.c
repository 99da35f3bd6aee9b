/*
 * The exec'd process's terminal (part of the exec helper, exec-helper.c):
 * open a pty in the container's devpts, send the master over the console
 * socket as runc sends it, and take the peer as controlling terminal and stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "shared.h"
#include "exec-helper.h"

/* The pty master goes to the console socket with its name as payload, as runc sends it. */
static void send_master(uint64_t *plan, int sock, int master, char *name)
{
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
	struct iovec iov;
	struct msghdr msg = { 0 };
	memset(&control, 0, sizeof control);
	iov.iov_base = name;
	iov.iov_len = strlen(name);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cmsg), &master, sizeof master);
	if (sendmsg(sock, &msg, 0) < 0)
		fail(plan, STAGE_CONSOLE, errno, 2, 1);
}

/* A pty of the container's devpts becomes the controlling terminal and stdio. */
void setup_console(uint64_t *plan)
{
	int sock = (int)plan[SLOT_CONSOLE_SOCKET], unlock = 0, number;
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &number) < 0)
		fail(plan, STAGE_CONSOLE, errno, 1, 1);
	int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (peer < 0)
		fail(plan, STAGE_CONSOLE, errno, 1, 1);
	if (plan[SLOT_CONSOLE_ROWS] && plan[SLOT_CONSOLE_COLS]) {
		struct winsize size = { (unsigned short)plan[SLOT_CONSOLE_ROWS], (unsigned short)plan[SLOT_CONSOLE_COLS], 0, 0 };
		TRY(STAGE_CONSOLE, ioctl(master, TIOCSWINSZ, &size));
	}
	char name[32];
	memcpy(name, "/dev/pts/", 9);
	format_int(name + 9, number);
	send_master(plan, sock, master, name);
	close(master);
	close(sock);
	if (setsid() < 0 || ioctl(peer, TIOCSCTTY, 0) < 0)
		fail(plan, STAGE_CONSOLE, errno, 3, 1);
	for (int fd = 0; fd < 3; fd++)
		TRY(STAGE_CONSOLE, dup2(peer, fd));
	if (peer > 2)
		close(peer);
}
