/* A setuid-root program for the CRI-O lane's images (as cri-tools' critest
 * uses one): prints the effective uid it runs with, which is 0 unless
 * no_new_privs (allowPrivilegeEscalation: false) or a nosuid mount stop it. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("Effective uid: %d\n", (int)geteuid());
	return 0;
}
