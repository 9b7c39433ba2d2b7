/*
 * Functions the project never calls: unbounded copies and shells.
 * Every source file includes it after all other headers, so that a
 * call to one of them fails the build (git's banned.h).
 */
#ifndef EP_BANNED_H
#define EP_BANNED_H

#define EP_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) EP_BANNED(strcpy)
#undef strcat
#define strcat(x, y) EP_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) EP_BANNED(strncpy)
#undef sprintf
#define sprintf(...) EP_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) EP_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) EP_BANNED(strtok)
#undef atoi
#define atoi(x) EP_BANNED(atoi)
#undef system
#define system(x) EP_BANNED(system)
#undef popen
#define popen(x, y) EP_BANNED(popen)
#undef gets
#define gets(x) EP_BANNED(gets)

#endif
