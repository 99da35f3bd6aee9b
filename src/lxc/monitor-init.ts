// C run by the forked monitor before liblxc's start(), shaping the init that
// liblxc clones from it: capabilities liblxc has no item for, liblxc's own
// "container=lxc" kept out of the init's environment, the caller's stdio left
// as it was.

/** The monitor's exit status when it could not set the init's inheritable or ambient capabilities. */
export const CAPS_FAILED = 253;
/** … when it could not load the filter for the host ABIs a seccomp profile leaves out. */
export const SECCOMP_FAILED = 252;

export const MONITOR_INIT_C = `
#define CAPS_FAILED ${CAPS_FAILED}
#define SECCOMP_FAILED ${SECCOMP_FAILED}
int capget(void *header, void *data);
int capset(void *header, void *data);
int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int strcmp(const char *a, const char *b);
char *strstr(const char *haystack, const char *needle);
int mprotect(void *addr, unsigned long len, int prot);
int putenv(char *string);
long write(int fd, const void *buf, unsigned long count);
void _exit(int status);

struct cap_header { unsigned int version; int pid; };
struct cap_data { unsigned int effective, permitted, inheritable; };

/*
 * The init's capabilities, as words (two per 64-bit set):
 * [0,1] inheritable, [2,3] ambient, [4] keep ambient on setuid,
 * [5,6] effective, [7,8] permitted, [9] CAPS_AT_* flags, [10] the init's uid.
 */
enum { CAPS_AT_EXEC = 1, CAPS_AT_SETUID = 2 };
static const unsigned int *init_caps;

static int raise_ambient(const unsigned int *amb)
{
	if (prctl(47 /* PR_CAP_AMBIENT */, 4 /* CLEAR_ALL */, 0, 0, 0) != 0)
		return -1;
	for (int cap = 0; cap < 64; cap++)
		if ((amb[cap / 32] >> (cap % 32)) & 1)
			if (prctl(47, 2 /* RAISE */, cap, 0, 0) != 0)
				return -1;
	return 0;
}

/* The inheritable set, SECBIT_NO_SETUID_FIXUP when the ambient set must survive a switch to a non-root uid, the ambient set. */
static int set_inheritable_and_ambient(const unsigned int *caps)
{
	struct cap_header header = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct cap_data data[2];
	if (capget(&header, data) != 0)
		return -1;
	data[0].inheritable = caps[0];
	data[1].inheritable = caps[1];
	if (capset(&header, data) != 0)
		return -1;
	if (caps[4]) {
		int bits = prctl(27 /* PR_GET_SECUREBITS */, 0, 0, 0, 0);
		if (bits < 0 || prctl(28 /* PR_SET_SECUREBITS */, bits | 4 /* SECBIT_NO_SETUID_FIXUP */, 0, 0, 0) != 0)
			return -1;
	}
	return raise_ambient(caps + 2);
}

/*
 * In the monitor, before liblxc clones the init from it: liblxc only drops
 * from the bounding set and keeps the rest. A new user namespace resets the
 * inheritable and ambient sets (and securebits), so then it is left to
 * setresuid_with_init_caps.
 */
static int set_init_caps(const unsigned int *caps)
{
	init_caps = caps;
	if (!caps || (caps[9] & CAPS_AT_SETUID))
		return 0;
	return set_inheritable_and_ambient(caps);
}

static void init_caps_failed(void)
{
	static const char msg[] = "crio-lxc: setting the container process's capabilities failed\\n";
	write(2, msg, sizeof(msg) - 1);
	_exit(CAPS_FAILED);
}

static int (*lxc_setresuid)(unsigned int r, unsigned int e, unsigned int s);
static int (*lxc_execvp)(const char *file, char *const argv[]);

/* liblxc's init switching to a non-root user in its user namespace: still root there, it can set them. */
static int setresuid_with_init_caps(unsigned int r, unsigned int e, unsigned int s)
{
	if (init_caps && (init_caps[9] & CAPS_AT_SETUID) && r == init_caps[10])
		if (set_inheritable_and_ambient(init_caps) != 0)
			init_caps_failed();
	return lxc_setresuid(r, e, s);
}

/*
 * liblxc's init exec'ing the container's process as root: effective and
 * permitted as the spec says, as runc sets them before its exec (with
 * no_new_privs the kernel then keeps no more than those).
 */
static int execvp_with_init_caps(const char *file, char *const argv[])
{
	if (init_caps && (init_caps[9] & CAPS_AT_EXEC)) {
		struct cap_header header = { 0x20080522, 0 };
		struct cap_data data[2] = {
			{ init_caps[5], init_caps[7], init_caps[0] },
			{ init_caps[6], init_caps[8], init_caps[1] },
		};
		if (capset(&header, data) != 0 || raise_ambient(init_caps + 2) != 0)
			init_caps_failed();
	}
	return lxc_execvp(file, argv);
}

/* ELF64 as the dynamic loader left it in memory. */
struct elf_dyn { long tag; unsigned long val; };
struct elf_rela { unsigned long offset; unsigned long info; long addend; };
struct elf_sym { unsigned int name; unsigned char info, other; unsigned short shndx; unsigned long value, size; };
struct elf_phdr { unsigned int type, flags; unsigned long offset, vaddr, paddr, filesz, memsz, align; };
struct dl_phdr_info { unsigned long addr; const char *name; const struct elf_phdr *phdr; unsigned short phnum; };
int dl_iterate_phdr(int (*callback)(struct dl_phdr_info *, unsigned long, void *), void *data);

static int (*lxc_putenv)(char *string);

/* liblxc's start puts "container=lxc" in the init's environment, over the spec's own. */
static int putenv_without_lxc_marker(char *string)
{
	if (strcmp(string, "container=lxc") == 0)
		return 0;
	return lxc_putenv(string);
}

static int (*lxc_fchmod)(int fd, unsigned int mode);
static int (*lxc_fchown)(int fd, unsigned int uid, unsigned int gid);
int isatty(int fd);

/*
 * liblxc's init chmods its stdio 0700 and chowns it to the init's uid
 * (fix_stdio_permissions): the caller's files and pipes ("run > file"
 * turned 0700), which runc leaves alone. A terminal keeps liblxc's chown, so
 * the container's user owns its console; nothing else of liblxc's changes
 * fds 0-2 this way.
 */
static int fchmod_sparing_stdio(int fd, unsigned int mode)
{
	if (fd <= 2 && mode == 0700)
		return 0;
	return lxc_fchmod(fd, mode);
}

static int fchown_sparing_stdio(int fd, unsigned int uid, unsigned int gid)
{
	if (fd <= 2 && !isatty(fd))
		return 0;
	return lxc_fchown(fd, uid, gid);
}

struct got_patch { const char *name; void *replacement; void **original; };
static struct got_patch got_patches[] = {
	{ "putenv", (void *)putenv_without_lxc_marker, (void **)&lxc_putenv },
	{ "setresuid", (void *)setresuid_with_init_caps, (void **)&lxc_setresuid },
	{ "execvp", (void *)execvp_with_init_caps, (void **)&lxc_execvp },
	{ "fchmod", (void *)fchmod_sparing_stdio, (void **)&lxc_fchmod },
	{ "fchown", (void *)fchown_sparing_stdio, (void **)&lxc_fchown },
};

static void patch_got_slots(unsigned long base, struct elf_rela *rela, unsigned long size, struct elf_sym *symtab, const char *strtab)
{
	for (unsigned long i = 0; rela && i < size / sizeof(*rela); i++) {
		unsigned long *slot = (unsigned long *)(base + rela[i].offset);
		const char *name = strtab + symtab[rela[i].info >> 32].name;
		for (unsigned long p = 0; p < sizeof(got_patches) / sizeof(got_patches[0]); p++) {
			if (strcmp(name, got_patches[p].name) != 0)
				continue;
			if (mprotect((void *)((unsigned long)slot & ~4095UL), 4096, 3 /* PROT_READ | PROT_WRITE */) != 0)
				continue;
			*got_patches[p].original = (void *)*slot;
			*slot = (unsigned long)got_patches[p].replacement;
		}
	}
}

/* Points liblxc's GOT entries for the functions in got_patches at their replacements. */
static int patch_liblxc(struct dl_phdr_info *info, unsigned long size, void *data)
{
	struct elf_dyn *dyn = 0;
	struct elf_rela *jmprel = 0, *rela = 0;
	unsigned long jmprelsz = 0, relasz = 0;
	struct elf_sym *symtab = 0;
	const char *strtab = 0;
	if (!info->name || !strstr(info->name, "liblxc.so"))
		return 0;
	for (int i = 0; i < info->phnum; i++)
		if (info->phdr[i].type == 2 /* PT_DYNAMIC */)
			dyn = (struct elf_dyn *)(info->addr + info->phdr[i].vaddr);
	for (; dyn && dyn->tag != 0; dyn++) {
		/* glibc relocates these in place; stay correct where it doesn't. */
		unsigned long ptr = dyn->val < info->addr ? dyn->val + info->addr : dyn->val;
		switch (dyn->tag) {
		case 2: jmprelsz = dyn->val; break;        /* DT_PLTRELSZ */
		case 5: strtab = (const char *)ptr; break; /* DT_STRTAB */
		case 6: symtab = (struct elf_sym *)ptr; break; /* DT_SYMTAB */
		case 7: rela = (struct elf_rela *)ptr; break; /* DT_RELA */
		case 8: relasz = dyn->val; break;          /* DT_RELASZ */
		case 23: jmprel = (struct elf_rela *)ptr; break; /* DT_JMPREL */
		}
	}
	if (!symtab || !strtab)
		return 1;
	patch_got_slots(info->addr, jmprel, jmprelsz, symtab, strtab);
	patch_got_slots(info->addr, rela, relasz, symtab, strtab);
	return 1;
}

static void patch_liblxc_calls(void)
{
	dl_iterate_phdr(patch_liblxc, 0);
}
`;
