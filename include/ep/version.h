/* The library's version, as "MAJOR.MINOR.PATCH". */
#ifndef EP_VERSION_H
#define EP_VERSION_H

const char *ep_version(void);

#endif
