#include "ep/version.h"
#include "banned.h"

const char *ep_version(void)
{
	return EP_VERSION;
}
