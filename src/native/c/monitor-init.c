/*
 * Run by the forked monitor (monitor.c) before liblxc's start(), shaping the
 * init that liblxc clones from it: capabilities liblxc has no item for,
 * liblxc's own "container=lxc" kept out of the init's environment, the
 * caller's stdio left as it was. Some of it has to happen inside liblxc's
 * init, between liblxc's own steps: there the monitor points liblxc's GOT
 * entries for a few libc functions at wrappers here.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <grp.h>

#include "shared.h"
#include "monitor-init.h"

/* The init's capabilities: CAPS_WORD_COUNT words laid out as enum caps_word says. */
static const unsigned int *init_caps;

static int raise_ambient(const unsigned int *amb)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		return -1;
	for (int cap = 0; cap < 64; cap++)
		if ((amb[cap / 32] >> (cap % 32)) & 1)
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
				return -1;
	return 0;
}

/* The inheritable set, SECBIT_NO_SETUID_FIXUP when the ambient set must survive a switch to a non-root uid, the ambient set. */
static int set_inheritable_and_ambient(const unsigned int *caps)
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &header, data) != 0)
		return -1;
	data[0].inheritable = caps[CAPS_WORD_INHERITABLE];
	data[1].inheritable = caps[CAPS_WORD_INHERITABLE + 1];
	if (syscall(SYS_capset, &header, data) != 0)
		return -1;
	if (caps[CAPS_WORD_KEEP_AMBIENT]) {
		int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
		if (bits < 0 || prctl(PR_SET_SECUREBITS, bits | SECBIT_NO_SETUID_FIXUP, 0, 0, 0) != 0)
			return -1;
	}
	return raise_ambient(caps + CAPS_WORD_AMBIENT);
}

/*
 * In the monitor, before liblxc clones the init from it: liblxc only drops
 * from the bounding set and keeps the rest. A new user namespace resets the
 * inheritable and ambient sets (and securebits), so then it is left to
 * setresuid_with_init_caps.
 */
int set_init_caps(const unsigned int *caps)
{
	init_caps = caps;
	if (!caps || (caps[CAPS_WORD_AT] & CAPS_AT_SETUID))
		return 0;
	return set_inheritable_and_ambient(caps);
}

static __attribute__((noreturn)) void init_caps_failed(void)
{
	static const char msg[] = "crio-lxc: setting the container process's capabilities failed\n";
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(CAPS_FAILED);
}

/*
 * The init's supplementary groups in a user namespace: {uid, count, gids…},
 * or NULL. liblxc drops every group there and ignores lxc.init.groups, so
 * the init sets them itself while it is still the namespace's root: at
 * liblxc's switch to its uid, or before its exec when that is root.
 */
static const unsigned int *init_groups;

void set_init_groups(const unsigned int *groups)
{
	init_groups = groups;
}

static void set_pending_groups(void)
{
	if (!init_groups)
		return;
	if (setgroups(init_groups[1], (const gid_t *)(init_groups + 2)) != 0) {
		static const char msg[] = "crio-lxc: setting the container process's supplementary groups failed\n";
		(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(CAPS_FAILED);
	}
	init_groups = NULL;
}

static int (*lxc_setresuid)(uid_t r, uid_t e, uid_t s);
static int (*lxc_execvp)(const char *file, char *const argv[]);

/* liblxc's init switching to a non-root user in its user namespace: still root there, it can set them. */
static int setresuid_with_init_caps(uid_t r, uid_t e, uid_t s)
{
	if (init_groups && r == init_groups[0])
		set_pending_groups();
	if (init_caps && (init_caps[CAPS_WORD_AT] & CAPS_AT_SETUID) && r == init_caps[CAPS_WORD_UID])
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
	set_pending_groups();
	if (init_caps && (init_caps[CAPS_WORD_AT] & CAPS_AT_EXEC)) {
		struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2] = {
			{ init_caps[CAPS_WORD_EFFECTIVE], init_caps[CAPS_WORD_PERMITTED], init_caps[CAPS_WORD_INHERITABLE] },
			{ init_caps[CAPS_WORD_EFFECTIVE + 1], init_caps[CAPS_WORD_PERMITTED + 1], init_caps[CAPS_WORD_INHERITABLE + 1] },
		};
		if (syscall(SYS_capset, &header, data) != 0 || raise_ambient(init_caps + CAPS_WORD_AMBIENT) != 0)
			init_caps_failed();
	}
	return lxc_execvp(file, argv);
}

static int (*lxc_putenv)(char *string);

/* liblxc's start puts "container=lxc" in the init's environment, over the spec's own. */
static int putenv_without_lxc_marker(char *string)
{
	if (strcmp(string, "container=lxc") == 0)
		return 0;
	return lxc_putenv(string);
}

static int (*lxc_fchmod)(int fd, mode_t mode);
static int (*lxc_fchown)(int fd, uid_t uid, gid_t gid);

/*
 * liblxc's init chmods its stdio 0700 and chowns it to the init's uid
 * (fix_stdio_permissions): the caller's files and pipes ("run > file"
 * turned 0700), which runc leaves alone. A terminal keeps liblxc's chown, so
 * the container's user owns its console; nothing else of liblxc's changes
 * fds 0-2 this way.
 */
static int fchmod_sparing_stdio(int fd, mode_t mode)
{
	if (fd <= 2 && mode == 0700)
		return 0;
	return lxc_fchmod(fd, mode);
}

static int fchown_sparing_stdio(int fd, uid_t uid, gid_t gid)
{
	if (fd <= 2 && !isatty(fd))
		return 0;
	return lxc_fchown(fd, uid, gid);
}

/* execl_native_hooks execs with execv: liblxc's own execl is not needed. */
static void *lxc_execl;

struct got_patch { const char *name; void *replacement; void **original; };
static struct got_patch got_patches[] = {
	{ "putenv", (void *)putenv_without_lxc_marker, (void **)&lxc_putenv },
	{ "setresuid", (void *)setresuid_with_init_caps, (void **)&lxc_setresuid },
	{ "execvp", (void *)execvp_with_init_caps, (void **)&lxc_execvp },
	{ "execl", (void *)execl_native_hooks, &lxc_execl },
	{ "fchmod", (void *)fchmod_sparing_stdio, (void **)&lxc_fchmod },
	{ "fchown", (void *)fchown_sparing_stdio, (void **)&lxc_fchown },
};

/* ELF64 as the dynamic loader left it in memory (x86_64 and arm64 use RELA relocations). */

/* The GOT slots that size bytes of relocations at rela fill, for the functions of got_patches. */
static void patch_got_slots(Elf64_Addr base, const Elf64_Rela *rela, size_t size, const Elf64_Sym *symtab, const char *strtab)
{
	for (size_t i = 0; rela && i < size / sizeof(*rela); i++) {
		Elf64_Addr *slot = (Elf64_Addr *)(base + rela[i].r_offset);
		const char *name = strtab + symtab[ELF64_R_SYM(rela[i].r_info)].st_name;
		for (size_t p = 0; p < sizeof(got_patches) / sizeof(got_patches[0]); p++) {
			if (strcmp(name, got_patches[p].name) != 0)
				continue;
			/* The 4 KiB page holding the slot (RELRO made it read-only). */
			if (mprotect((void *)((unsigned long)slot & ~4095UL), 4096, PROT_READ | PROT_WRITE) != 0)
				continue;
			*got_patches[p].original = (void *)*slot;
			*slot = (Elf64_Addr)got_patches[p].replacement;
		}
	}
}

/* Points liblxc's GOT entries for the functions in got_patches at their replacements. */
static int patch_liblxc(struct dl_phdr_info *info, size_t size, void *data)
{
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Rela *jmprel = NULL, *rela = NULL;
	size_t jmprelsz = 0, relasz = 0;
	const Elf64_Sym *symtab = NULL;
	const char *strtab = NULL;
	Elf64_Xword soname = 0;
	int has_soname = 0;
	(void)size;
	(void)data;
	if (!info->dlpi_name || !info->dlpi_name[0])
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		/* glibc relocates these in place; stay correct where it doesn't. */
		Elf64_Addr ptr = dyn->d_un.d_val < info->dlpi_addr ? dyn->d_un.d_val + info->dlpi_addr : dyn->d_un.d_val;
		switch (dyn->d_tag) {
		case DT_PLTRELSZ: jmprelsz = dyn->d_un.d_val; break;
		case DT_STRTAB: strtab = (const char *)ptr; break;
		case DT_SYMTAB: symtab = (const Elf64_Sym *)ptr; break;
		case DT_RELA: rela = (const Elf64_Rela *)ptr; break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		case DT_JMPREL: jmprel = (const Elf64_Rela *)ptr; break;
		case DT_SONAME: soname = dyn->d_un.d_val; has_soname = 1; break;
		}
	}
	/* By its SONAME: the embedded liblxc is loaded from a memfd (/proc/self/fd/N), not by its name. */
	if (!symtab || !strtab || !has_soname || strncmp(strtab + soname, "liblxc.so", 9) != 0)
		return 0;
	patch_got_slots(info->dlpi_addr, jmprel, jmprelsz, symtab, strtab);
	patch_got_slots(info->dlpi_addr, rela, relasz, symtab, strtab);
	return 1;
}

void patch_liblxc_calls(void)
{
	dl_iterate_phdr(patch_liblxc, NULL);
}
