#include <stdio.h>
#include <string.h>

#include "ep/version.h"
#include "cli.h"
#include "banned.h"

int ep_cmd_version(struct ep_cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc > 1 && !strcmp(argv[1], "--json")) {
		printf("{\"name\":\"engine-provisioner\",\"version\":\"%s\"}\n", ep_version());
		return EP_EXIT_OK;
	}
	if (argc > 1)
		return ep_cli_usage("version", "unknown option '%s'", argv[1]);
	printf("engine-provisioner %s\n", ep_version());
	return EP_EXIT_OK;
}
