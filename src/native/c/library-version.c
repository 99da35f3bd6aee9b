/*
 * The version of a liblxc on disk, read without loading it into the runtime's
 * own link map (src/lxc/library.ts): it is loaded into a namespace of its own
 * (dlmopen), asked, and unloaded, so the embedded liblxc can still be loaded
 * under the same SONAME when the host's isn't one crio-lxc knows.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

/* Copies the version into buf (NUL-terminated); 0, or -1 when the library or its lxc_get_version can't be loaded. */
int crio_lxc_peek_liblxc_version(const char *path, char *buf, int len)
{
	void *handle = dlmopen(LM_ID_NEWLM, path, RTLD_LAZY | RTLD_LOCAL);
	if (!handle)
		return -1;
	const char *(*get_version)(void) = (const char *(*)(void))dlsym(handle, "lxc_get_version");
	int ret = -1;
	if (get_version && len > 0) {
		strncpy(buf, get_version(), (size_t)len - 1);
		buf[len - 1] = 0;
		ret = 0;
	}
	dlclose(handle);
	return ret;
}
