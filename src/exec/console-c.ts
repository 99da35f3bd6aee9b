// Terminals for exec, in C: the process's side (open a pty in the container,
// send the master, take the peer as controlling terminal) is part of the
// helper; the runtime's side (console socket, receiving the master, raw mode,
// window size) is called from JavaScript for a foreground --tty.

/** Compiled into the helper, after its prelude (report, fail, TRY, format_int). */
export const CONSOLE_C = String.raw`
struct iovec { void *base; u64 len; };
struct msghdr { void *name; u32 namelen; struct iovec *iov; u64 iovlen; void *control; u64 controllen; int flags; };
int ioctl(int fd, u64 request, ...);
int dup2(int from, int to);
int setsid(void);
long sendmsg(int fd, const struct msghdr *msg, int flags);
#define O_RDWR 02
#define O_NOCTTY 0400
#define TIOCSPTLCK 0x40045431
#define TIOCGPTN 0x80045430
#define TIOCGPTPEER 0x5441
#define TIOCSCTTY 0x540E
#define TIOCSWINSZ 0x5414

/* The pty master goes to the console socket with its name as payload, as runc sends it. */
static void send_master(u64 *plan, int sock, int master, char *name)
{
	char control[24] = {0}; /* CMSG_SPACE(sizeof(int)) */
	struct iovec iov;
	struct msghdr msg = {0};
	iov.base = name;
	iov.len = strlen(name);
	msg.iov = &iov;
	msg.iovlen = 1;
	msg.control = control;
	msg.controllen = sizeof control;
	*(u64 *)control = 20;            /* cmsg_len: CMSG_LEN(sizeof(int)) */
	((int *)(control + 8))[0] = 1;   /* SOL_SOCKET */
	((int *)(control + 8))[1] = 1;   /* SCM_RIGHTS */
	memcpy(control + 16, &master, sizeof master);
	if (sendmsg(sock, &msg, 0) < 0)
		fail(plan, ST_CONSOLE, errno, 2, 1);
}

/* A pty of the container's devpts becomes the controlling terminal and stdio. */
static void setup_console(u64 *plan)
{
	int sock = (int)plan[S_CONSOLE_SOCKET], unlock = 0, number;
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &number) < 0)
		fail(plan, ST_CONSOLE, errno, 1, 1);
	int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (peer < 0)
		fail(plan, ST_CONSOLE, errno, 1, 1);
	if (plan[S_CONSOLE_ROWS] && plan[S_CONSOLE_COLS]) {
		unsigned short size[4] = { (unsigned short)plan[S_CONSOLE_ROWS], (unsigned short)plan[S_CONSOLE_COLS], 0, 0 };
		TRY(ST_CONSOLE, ioctl(master, TIOCSWINSZ, size));
	}
	char name[32];
	memcpy(name, "/dev/pts/", 9);
	format_int(name + 9, number);
	send_master(plan, sock, master, name);
	close(master);
	close(sock);
	if (setsid() < 0 || ioctl(peer, TIOCSCTTY, 0) < 0)
		fail(plan, ST_CONSOLE, errno, 3, 1);
	for (int fd = 0; fd < 3; fd++)
		TRY(ST_CONSOLE, dup2(peer, fd));
	if (peer > 2)
		close(peer);
}
`;

/** The runtime's side; each returns -errno on failure. */
export const RUNTIME_TTY_C = String.raw`
struct iovec_r { void *base; unsigned long len; };
struct msghdr_r { void *name; unsigned int namelen; struct iovec_r *iov; unsigned long iovlen; void *control; unsigned long controllen; int flags; };
struct sockaddr_un_r { unsigned short family; char path[108]; };
int socket(int domain, int type, int protocol);
int socketpair(int domain, int type, int protocol, int fds[2]);
int connect(int fd, const void *addr, unsigned int len);
long recvmsg(int fd, struct msghdr_r *msg, int flags);
int tcgetattr(int fd, void *termios);
int tcsetattr(int fd, int when, const void *termios);
void cfmakeraw(void *termios);
int ioctl(int fd, unsigned long request, ...);
int fcntl(int fd, int cmd, ...);
int close(int fd);
unsigned long strlen(const char *s);
void *memcpy(void *dst, const void *src, unsigned long n);
int *__errno_location(void);
#define NEG_ERRNO (-*__errno_location())
#define SOCK_STREAM_CLOEXEC (1 | 02000000)

int crio_lxc_connect_unix(const char *path)
{
	struct sockaddr_un_r addr = {0};
	unsigned long len = strlen(path);
	if (len >= sizeof addr.path)
		return -36; /* ENAMETOOLONG */
	addr.family = 1; /* AF_UNIX */
	memcpy(addr.path, path, len);
	int fd = socket(1, SOCK_STREAM_CLOEXEC, 0);
	if (fd < 0)
		return NEG_ERRNO;
	if (connect(fd, &addr, sizeof addr) < 0) {
		int err = NEG_ERRNO;
		close(fd);
		return err;
	}
	return fd;
}

int crio_lxc_socketpair(int *fds)
{
	return socketpair(1, SOCK_STREAM_CLOEXEC, 0, fds) < 0 ? NEG_ERRNO : 0;
}

/* The fd sent with SCM_RIGHTS, made close-on-exec and non-blocking. */
int crio_lxc_recv_fd(int sock)
{
	char name[64], control[24] = {0};
	struct iovec_r iov;
	struct msghdr_r msg = {0};
	iov.base = name;
	iov.len = sizeof name;
	msg.iov = &iov;
	msg.iovlen = 1;
	msg.control = control;
	msg.controllen = sizeof control;
	if (recvmsg(sock, &msg, 02000000 /* MSG_CMSG_CLOEXEC */) < 0)
		return NEG_ERRNO;
	if (msg.controllen < 20 || ((int *)(control + 8))[1] != 1 /* SCM_RIGHTS */)
		return -71; /* EPROTO */
	int fd;
	memcpy(&fd, control + 16, sizeof fd);
	fcntl(fd, 4 /* F_SETFL */, fcntl(fd, 3 /* F_GETFL */) | 04000 /* O_NONBLOCK */);
	return fd;
}

/* saved must hold a struct termios (60 bytes). */
int crio_lxc_make_raw(int fd, void *saved)
{
	char raw[128];
	if (tcgetattr(fd, saved) < 0)
		return NEG_ERRNO;
	memcpy(raw, saved, sizeof raw);
	cfmakeraw(raw);
	return tcsetattr(fd, 0 /* TCSANOW */, raw) < 0 ? NEG_ERRNO : 0;
}

int crio_lxc_restore_termios(int fd, const void *saved)
{
	return tcsetattr(fd, 0, saved) < 0 ? NEG_ERRNO : 0;
}

int crio_lxc_copy_winsize(int from, int to)
{
	unsigned short size[4];
	if (ioctl(from, 0x5413 /* TIOCGWINSZ */, size) < 0 || ioctl(to, 0x5414 /* TIOCSWINSZ */, size) < 0)
		return NEG_ERRNO;
	return 0;
}
`;
